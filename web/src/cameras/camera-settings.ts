/** A camera's settings as GET /api/cameras/:id/settings answers them (src/cameras/camera-settings.ts). */
export type Point = [number, number];

export interface Polygon {
  name?: string;
  points: Point[];
}

export interface CameraSettings {
  id: string;
  name: string;
  source: 'config' | 'api';
  streamKey: string | null;
  recording: { enabled: boolean; format: 'flv' | 'mp4'; segmentSeconds: number };
  motion: { enabled: boolean; sensitivity: number; zones: Polygon[]; masks: Polygon[]; [key: string]: unknown };
  retention: { days: number; eventDays: number; maxBytes: number | null };
  publish: { url: string; serverUrl: string; streamName: string };
}

/**
 * Which form field an API error belongs to: its own key, or the nearest
 * shown parent (`motion.zones[1].points` → `motion.zones`).
 */
export function fieldFor(path: string | null, shown: readonly string[]): string | null {
  if (!path) return null;
  let best: string | null = null;
  for (const f of shown) if ((path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`)) && f.length > (best?.length ?? 0)) best = f;
  return best;
}
