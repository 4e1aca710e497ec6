import type { FastifyInstance } from 'fastify';

export interface HealthOptions {
  version: string;
  /** ms UTC when the process started serving. */
  startedAt: number;
  now: () => number;
}

/** GET /api/health: liveness for monitors and the start-up tests. */
export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  // public, for monitors; the version only to those logged in (it tells an attacker which bugs to try)
  app.get('/api/health', { config: { role: 'public' } }, async (request) => {
    const now = opts.now();
    return {
      status: 'ok',
      ...(request.principal ? { version: opts.version } : {}),
      uptimeSeconds: Math.max(0, Math.floor((now - opts.startedAt) / 1000)),
      time: new Date(now).toISOString(),
    };
  });
}
