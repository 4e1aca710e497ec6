/** A motion event as the API, SSE, webhooks and MQTT show it (CONTRACT.md, GET /api/events). */
import { isoUtc } from '../http/time-query.js';
import type { EventRow } from './event-store.js';

export interface EventJson {
  id: number;
  cameraId: string;
  type: 'motion';
  start: string;
  /** null while ongoing */
  end: string | null;
  startMs: number;
  endMs: number | null;
  /** peak share of the watched area in motion, percent (0..100), two decimals */
  score: number;
  /** names of the zones that saw motion */
  zones: string[];
  /** when the peak (and its snapshot) was */
  peakMs: number;
  /** why it ended; null while ongoing */
  endReason: string | null;
  /** JPEG of the peak, or null when none could be made */
  snapshotUrl: string | null;
}

export function eventJson(e: EventRow): EventJson {
  return {
    id: e.id,
    cameraId: e.cameraId,
    type: e.type,
    start: isoUtc(e.startMs),
    end: e.endMs === null ? null : isoUtc(e.endMs),
    startMs: e.startMs,
    endMs: e.endMs,
    score: Math.round(e.peakScore * 100) / 100,
    zones: e.zones,
    peakMs: e.peakMs,
    endReason: e.endReason,
    snapshotUrl: e.hasSnapshot ? snapshotPath(e.id) : null,
  };
}

export function snapshotPath(id: number): string {
  return `/api/events/${id}/snapshot.jpg`;
}
