/**
 * Security headers on every answer (@fastify/helmet): a CSP the web UI works
 * under (own scripts only; blob: media for MSE; ws/fetch to this origin), no
 * framing, nosniff, same-origin referrers. HSTS only when the request came
 * over https: on a plain-http LAN box it would lock browsers out.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const HSTS = 'max-age=15552000'; // 180 days, as helmet would

export async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    // no defaults: helmet's include upgrade-insecure-requests, which breaks every fetch of a plain-http UI
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.raw.setHeader('strict-transport-security', HSTS);
  });
}
(securityHeaders as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
