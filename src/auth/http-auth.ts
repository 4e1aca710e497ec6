/**
 * The access check on every HTTP request and WebSocket upgrade (fastify
 * onRequest): who is asking (bearer token, ?token= on media, session cookie),
 * whether their role suffices (route `config: { role }`, else viewer for
 * reads and admin for changes under /api/ and /live/), and CSRF for changes
 * made with the cookie (X-CSRF-Token and a same-origin Origin).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/errors.js';
import { acceptsQueryToken, addTokenToPlaylist, queryToken } from './query-token.js';
import { allows, isReadMethod, requiredRole, type Principal, type RouteRole } from './roles.js';
import type { Session } from './session-store.js';
import type { Auth } from './start-auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** least role the route needs; default: viewer for GET/HEAD/OPTIONS, admin otherwise (under /api/ and /live/) */
    role?: RouteRole;
    /** the route takes `?token=` (media a URL-only player fetches); /live/* and media files do already */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    /** who made the request; set by the auth hook before any handler runs */
    principal: Principal | null;
    /** the session the cookie named, when that is how the request was authenticated */
    authSession: { id: string; session: Session } | null;
  }
}

export const SESSION_COOKIE = 'nvr_session';
export const CSRF_HEADER = 'x-csrf-token';
export const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', via: 'none' };

/** Registered after @fastify/cookie and the security headers, without encapsulation so its hook sees every route. */
export async function authHooks(app: FastifyInstance, opts: { auth: Auth | undefined }): Promise<void> {
  const auth = opts.auth;
  app.decorateRequest('principal', null);
  app.decorateRequest('authSession', null);

  app.addHook('onRequest', async (request, reply) => {
    if (!auth?.enabled) {
      request.principal = ANONYMOUS;
      return;
    }
    const config = request.routeOptions.config;
    const needed = neededRole(request);
    const who = identify(request, auth, acceptsQueryToken(request.routeOptions.url, request.method, config?.queryToken));
    if (who !== undefined && who !== 'invalid') {
      request.principal = who.principal;
      request.authSession = who.session ?? null;
    }
    // public routes (login, health, the UI) serve anyone; a stale cookie must not lock the login page
    if (needed === 'public') return;
    if (who === undefined || who === 'invalid') throw unauthenticated(reply, who === 'invalid');
    if (!allows(who.principal.role, needed)) throw new HttpError(403, 'FORBIDDEN', `this needs the ${needed} role; ${who.principal.name} is ${who.principal.role}`);
    if (who.session) checkCsrf(request, who.session.session);
    // URL-only clients embed media from other origins (<img> in a dashboard): let the browser show it
    if (byQueryToken(request)) reply.raw.setHeader('cross-origin-resource-policy', 'cross-origin');
  });

  // A refused WebSocket upgrade got its HTTP answer; nothing else will close that socket (@fastify/websocket
  // only closes sockets its own hook saw, and ours ran first), and a half-open one would hold server.close().
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400 && isUpgrade(request)) request.raw.socket.destroy();
  });

  // An HLS playlist fetched with ?token= must hand the token on to its segments and parts.
  app.addHook('onSend', async (request, reply, payload) => {
    const token = queryToken(request.raw);
    if (token === undefined || !byQueryToken(request) || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('mpegurl')) return payload;
    return addTokenToPlaylist(payload, token);
  });
}
// run in the parent scope, as fastify-plugin would: the hook must cover routes registered beside it
(authHooks as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** The route's declared role, else by method for the API and live streams; the UI's files are public. */
function neededRole(request: FastifyRequest): RouteRole {
  const declared = request.routeOptions.config?.role;
  if (declared !== undefined) return requiredRole(declared, request.method);
  const url = request.routeOptions.url;
  // matched route patterns, not the raw path: /%61pi/... must not slip past as "not the API"
  if (url === undefined) return 'public'; // no route: the 404 says nothing
  if (url.startsWith('/api/') || url.startsWith('/live/')) return requiredRole(undefined, request.method);
  return isReadMethod(request.method) ? 'public' : 'admin';
}

type Identity = { principal: Principal; session?: { id: string; session: Session } };

/** undefined: no credentials at all; 'invalid': credentials that don't check out (never fall back to another kind). */
function identify(request: FastifyRequest, auth: Auth, queryAllowed: boolean): Identity | 'invalid' | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const t = m ? auth.tokens.match(m[1]!) : undefined;
    return t ? { principal: { name: t.name, role: t.role, via: 'token' } } : 'invalid';
  }
  const q = queryToken(request.raw);
  if (q !== undefined && queryAllowed) {
    const t = auth.tokens.match(q);
    return t ? { principal: { name: t.name, role: t.role, via: 'token' } } : 'invalid';
  }
  const id = request.cookies?.[SESSION_COOKIE];
  if (id) {
    const session = auth.sessions.use(id);
    const user = session && auth.users.find(session.userName); // a user removed from the config loses its sessions
    if (!session || !user) return 'invalid';
    return { principal: { name: user.name, role: user.role, via: 'session' }, session: { id, session } };
  }
  return undefined;
}

function unauthenticated(reply: FastifyReply, invalid: boolean): HttpError {
  void reply.header('www-authenticate', invalid ? 'Bearer realm="lan-nvr", error="invalid_token"' : 'Bearer realm="lan-nvr"');
  return new HttpError(401, 'UNAUTHENTICATED', invalid ? 'the session or token is not valid (expired, logged out or unknown): log in again' : 'log in, or send Authorization: Bearer <token>');
}

/**
 * Changes made with the cookie need the session's synchronizer token, and an
 * Origin, if the browser sent one, of this very site. WebSocket upgrades
 * (GET) are checked for Origin too: a page elsewhere must not open a live
 * stream with the user's cookie.
 */
function checkCsrf(request: FastifyRequest, session: Session): void {
  const upgrade = isUpgrade(request);
  if (isReadMethod(request.method) && !upgrade) return;
  checkSameOrigin(request);
  if (upgrade) return;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
    throw new HttpError(403, 'CSRF_TOKEN_INVALID', `send the session's csrfToken (from POST /api/auth/login or GET /api/auth/session) in the ${CSRF_HEADER} header`);
  }
}

/** Origin (or, lacking it, Sec-Fetch-Site) must say the request comes from this site. */
export function checkSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw crossOrigin(origin);
    }
    if (host.toLowerCase() !== request.host.toLowerCase()) throw crossOrigin(origin);
    return;
  }
  const site = request.headers['sec-fetch-site'];
  if (origin === 'null' || site === 'cross-site' || site === 'same-site') throw crossOrigin(origin ?? String(site));
}

function crossOrigin(what: string): HttpError {
  return new HttpError(403, 'CROSS_ORIGIN', `requests from ${JSON.stringify(what.slice(0, 200))} may not use this session`);
}

/** Authenticated by ?token= (a header takes precedence when both are sent). */
function byQueryToken(request: FastifyRequest): boolean {
  return request.principal?.via === 'token' && request.headers.authorization === undefined && queryToken(request.raw) !== undefined;
}

function isUpgrade(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
