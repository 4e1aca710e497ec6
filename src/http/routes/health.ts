import type { FastifyInstance } from 'fastify';

export interface HealthOptions {
  version: string;
  /** ms UTC when the process started serving. */
  startedAt: number;
  now: () => number;
}

/** GET /api/health: liveness for monitors and the start-up tests. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/api/health', async () => {
    const now = opts.now();
    return {
      status: 'ok',
      version: opts.version,
      uptimeSeconds: Math.max(0, Math.floor((now - opts.startedAt) / 1000)),
      time: new Date(now).toISOString(),
    };
  });
}
