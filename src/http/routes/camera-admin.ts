/**
 * Camera administration: read a camera's settings (with its stream key and
 * publish URL), add, edit and delete cameras at runtime. Changes go through
 * the registry (src/cameras/), which stores them and tells every module.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CameraError, type CameraErrorCode } from '../../cameras/camera-input.js';
import type { CameraRegistry } from '../../cameras/camera-registry.js';
import { cameraSettingsJson, type RtmpEndpoint } from '../../cameras/camera-settings.js';
import { CAMERA_ID_PATTERN } from '../../config/schema.js';
import { HttpError } from '../errors.js';

export interface CameraAdminOptions {
  registry: CameraRegistry;
  /** where cameras publish: rtmp.host and the bound port */
  rtmp: RtmpEndpoint;
  /** RTMPS: rtmp.tls.host and its bound port; null when rtmp.tls is off */
  rtmps?: RtmpEndpoint | null;
  /** a LAN address of this machine, for a wildcard rtmp.host and a Host header unfit for a URL */
  fallbackHost: () => string;
}

/** A camera's settings are a few KB even with 32 zones of 64 points; nothing near this is legitimate. */
export const CAMERA_BODY_LIMIT_BYTES = 64 * 1024;

/** Route config for the auth hook (src/auth/http-auth.ts): the least role a route needs. */
const ADMIN_ONLY = { role: 'admin' as const };

const STATUS: Record<CameraErrorCode, number> = {
  INVALID_CAMERA: 400,
  CAMERA_NOT_FOUND: 404,
  CAMERA_EXISTS: 409,
  TOO_MANY_CAMERAS: 409,
};

export async function cameraAdminRoutes(app: FastifyInstance, opts: CameraAdminOptions): Promise<void> {
  const { registry } = opts;
  const settings = (request: FastifyRequest, id: string) => {
    const camera = registry.get(id);
    if (!camera) throw notFound(id);
    return cameraSettingsJson(camera, opts.rtmp, request.headers.host, opts.fallbackHost(), opts.rtmps ?? null);
  };

  // the stream key is a secret: admins only, even though it is a GET
  app.get('/api/cameras/:id/settings', { config: ADMIN_ONLY }, async (request) => settings(request, cameraId(request)));

  app.post('/api/cameras', { bodyLimit: CAMERA_BODY_LIMIT_BYTES, config: ADMIN_ONLY }, async (request, reply) => {
    const camera = guard(() => registry.add(request.body));
    void reply.code(201).header('location', `/api/cameras/${camera.id}/settings`);
    return settings(request, camera.id);
  });

  app.patch('/api/cameras/:id', { bodyLimit: CAMERA_BODY_LIMIT_BYTES, config: ADMIN_ONLY }, async (request) => {
    const id = cameraId(request);
    guard(() => registry.update(id, request.body));
    return settings(request, id);
  });

  app.delete('/api/cameras/:id', { config: ADMIN_ONLY }, async (request, reply) => {
    const id = cameraId(request);
    guard(() => registry.remove(id));
    void reply.code(204).send();
  });
}

/** The :id parameter; anything that cannot be a camera id is simply not found. */
function cameraId(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!CAMERA_ID_PATTERN.test(id)) throw notFound(id);
  return id;
}

function notFound(id: string): HttpError {
  return new HttpError(404, 'CAMERA_NOT_FOUND', `no camera with id ${JSON.stringify(id.slice(0, 80))}`);
}

/** Registry errors become their HTTP answers. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CameraError) throw new HttpError(STATUS[err.code], err.code, err.message);
    throw err;
  }
}
