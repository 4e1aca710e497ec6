/**
 * What API clients send for a camera, turned into a camera config validated
 * by the very schema the config file uses (config/schema.ts cameraSchema), so
 * a camera means the same whether it was written in YAML or sent as JSON.
 */
import { randomBytes } from 'node:crypto';
import { formatIssue } from '../config/format-issue.js';
import { cameraSchema, type CameraConfig } from '../config/schema.js';
import { NvrError } from '../errors.js';

export type CameraErrorCode = 'INVALID_CAMERA' | 'CAMERA_EXISTS' | 'CAMERA_NOT_FOUND' | 'TOO_MANY_CAMERAS';

export class CameraError extends NvrError {
  constructor(
    override readonly code: CameraErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'CameraError';
  }
}

/** Fields of the settings answer that are derived, not settings: a client may send them back, they are ignored. */
const DERIVED_KEYS = new Set(['source', 'publish']);

/** 18 random bytes as base64url: 24 characters of [A-Za-z0-9_-], inside STREAM_KEY_PATTERN, 144 bits. */
export function generateStreamKey(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * A new camera from a POST body. Without `streamKey` one is generated (a
 * camera reachable on a LAN should not be publishable by anyone who guesses
 * its id); `streamKey: null` asks for none.
 */
export function newCamera(body: unknown): CameraConfig {
  const input = settingsOf(body);
  if (input.streamKey === undefined) input.streamKey = generateStreamKey();
  else if (input.streamKey === null) delete input.streamKey;
  if (input.name === null) delete input.name;
  return parseCamera(input);
}

/**
 * A PATCH body applied to a camera: top-level keys replace, objects
 * (recording, motion, retention) merge one level deep, so `{"motion":
 * {"zones": [...]}}` replaces the zones and keeps the other motion keys.
 * `streamKey: null` removes the key, `name: null` resets it to the id. The id
 * cannot change: recordings and events are filed under it.
 */
export function patchCamera(current: CameraConfig, body: unknown): CameraConfig {
  const patch = settingsOf(body);
  if (patch.id !== undefined && patch.id !== current.id) {
    throw new CameraError('INVALID_CAMERA', `id: cannot be changed (it is "${current.id}"); delete the camera and add a new one`);
  }
  const merged = settingsInput(current);
  for (const [key, value] of Object.entries(patch)) {
    if ((key === 'streamKey' || key === 'name') && value === null) delete merged[key];
    else merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? { ...merged[key], ...value } : value;
  }
  return parseCamera(merged);
}

/** A camera as plain JSON input for the schema (what the cameras table stores). */
export function settingsInput(camera: CameraConfig): Record<string, unknown> {
  return JSON.parse(JSON.stringify(camera)) as Record<string, unknown>;
}

/** Validates with the config file's camera schema; the error names the field like a config error does. */
export function parseCamera(input: unknown): CameraConfig {
  const result = cameraSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new CameraError('INVALID_CAMERA', formatIssue(issue, input, cameraSchema));
}

/** The body as a fresh object without the derived keys. */
function settingsOf(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw new CameraError('INVALID_CAMERA', `body: expected a JSON object with the camera's settings, got ${body === null ? 'null' : Array.isArray(body) ? 'a list' : typeof body}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    // JSON.parse makes "__proto__" an own key; assigning it would set a prototype instead
    if (k === '__proto__') throw new CameraError('INVALID_CAMERA', '__proto__: unknown key');
    if (!DERIVED_KEYS.has(k)) out[k] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
