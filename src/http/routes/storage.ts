import type { FastifyInstance } from 'fastify';
import type { StorageReport } from '../../retention/status.js';
import { isoUtc } from '../time-query.js';

export interface StorageRouteOptions {
  /** the retention module's report (src/retention/status.ts) */
  status: () => Promise<StorageReport>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : isoUtc(ms));

/** GET /api/storage: footage per camera, free space, the rules, and when the disk fills at the current rate. */
export async function storageRoutes(app: FastifyInstance, opts: StorageRouteOptions): Promise<void> {
  app.get('/api/storage', async () => {
    const r = await opts.status();
    return {
      dataDir: r.dataDir,
      disk: r.disk,
      bytes: r.bytes,
      budgetBytes: r.budgetBytes,
      bytesPerSecond: r.bytesPerSecond,
      fullAt: iso(r.fullAtMs),
      fullAtMs: r.fullAtMs,
      recording: r.paused ? 'paused' : 'ok',
      alerts: r.alerts.map((a) => ({ code: a.code, message: a.message, since: isoUtc(a.sinceMs), sinceMs: a.sinceMs })),
      retention: { schedule: r.schedule, maxBytes: r.volume.maxBytes ?? null, maxPercent: r.volume.maxPercent ?? null, minFreeBytes: r.volume.minFreeBytes, minFreePercent: r.volume.minFreePercent },
      cameras: r.cameras.map((c) => ({
        id: c.id,
        configured: c.configured,
        bytes: c.bytes,
        segments: c.segments,
        oldest: iso(c.oldestMs),
        oldestMs: c.oldestMs,
        bytesPerSecond: c.bytesPerSecond,
        retention: { days: c.rule.days, eventDays: c.rule.eventDays, maxBytes: c.rule.maxBytes ?? null },
      })),
      lastPass: r.lastPass && { ...r.lastPass, start: isoUtc(r.lastPass.startMs) },
    };
  });
}
