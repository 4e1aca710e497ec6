/**
 * A camera's settings as GET /api/cameras/:id/settings answers them: every
 * setting with its effective value, plus what to paste into the camera
 * (publish URL, or server URL and stream name). Pure.
 */
import type { CameraConfig } from '../config/schema.js';
import type { Camera, CameraSource } from './camera-registry.js';

export interface CameraSettingsJson {
  id: string;
  name: string;
  source: CameraSource;
  streamKey: string | null;
  /** addresses or CIDR blocks it may publish from; empty: any (cameras[].publishFrom) */
  publishFrom: string[];
  recording: CameraConfig['recording'];
  motion: CameraConfig['motion'];
  retention: { days: number; eventDays: number; maxBytes: number | null };
  /** `tls`: the same over RTMPS when rtmp.tls is on, else null */
  publish: { url: string; serverUrl: string; streamName: string; tls: { url: string; serverUrl: string } | null };
}

/** Where cameras reach the RTMP server: the listen address unless it is a wildcard. */
export interface RtmpEndpoint {
  /** rtmp.host from the config */
  host: string;
  /** the bound port */
  port: number;
}

export function cameraSettingsJson(
  camera: Camera,
  rtmp: RtmpEndpoint,
  requestHost: string | undefined,
  fallbackHost: string,
  rtmps: RtmpEndpoint | null = null,
): CameraSettingsJson {
  const key = camera.streamKey ?? null;
  const streamName = key ? `${camera.id}?key=${key}` : camera.id;
  const serverUrl = `rtmp://${publishHost(rtmp.host, requestHost, fallbackHost)}:${rtmp.port}/live`;
  const tlsServerUrl = rtmps && `rtmps://${publishHost(rtmps.host, requestHost, fallbackHost)}:${rtmps.port}/live`;
  const m = camera.motion;
  return {
    id: camera.id,
    name: camera.name,
    source: camera.source,
    streamKey: key,
    publishFrom: [...(camera.publishFrom ?? [])],
    recording: { enabled: camera.recording.enabled, format: camera.recording.format, segmentSeconds: camera.recording.segmentSeconds },
    motion: {
      enabled: m.enabled,
      sensitivity: m.sensitivity,
      minAreaPercent: m.minAreaPercent,
      zones: m.zones.map((z) => ({ name: z.name, points: z.points.map(([x, y]) => [x, y] as [number, number]) })),
      masks: m.masks.map((z) => ({ ...(z.name !== undefined ? { name: z.name } : {}), points: z.points.map(([x, y]) => [x, y] as [number, number]) })),
      decodeFps: m.decodeFps,
      minFrames: m.minFrames,
      endSeconds: m.endSeconds,
      maxEventSeconds: m.maxEventSeconds,
    },
    retention: { days: camera.retention.days, eventDays: camera.retention.eventDays, maxBytes: camera.retention.maxBytes ?? null },
    publish: {
      url: `${serverUrl}/${streamName}`,
      serverUrl,
      streamName,
      tls: tlsServerUrl ? { url: `${tlsServerUrl}/${streamName}`, serverUrl: tlsServerUrl } : null,
    },
  };
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);
const HOST_NAME = /^([A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/;
const HOST_V6 = /^(\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The host a camera should connect to. A wildcard listen address is nothing a
 * camera can reach: the name the admin's browser used for this server is the
 * best guess (the same machine, seen from the same network). A Host header
 * that is not a plain name or address is not echoed into a URL.
 */
export function publishHost(rtmpHost: string, requestHost: string | undefined, fallbackHost: string): string {
  if (!WILDCARDS.has(rtmpHost)) return rtmpHost.includes(':') && !rtmpHost.startsWith('[') ? `[${rtmpHost}]` : rtmpHost;
  const h = requestHost?.trim() ?? '';
  const m = HOST_V6.exec(h) ?? HOST_NAME.exec(h);
  return m ? m[1]! : fallbackHost;
}
