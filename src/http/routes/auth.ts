/**
 * Logins (src/auth/): POST /api/auth/login, POST /api/auth/logout and
 * GET /api/auth/session, which the web UI asks first to know whether to show
 * its login page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkSameOrigin, SESSION_COOKIE } from '../../auth/http-auth.js';
import type { Auth } from '../../auth/start-auth.js';
import { HttpError } from '../errors.js';

export interface AuthRouteOptions {
  /** absent or disabled: everyone is an anonymous admin */
  auth: Auth | undefined;
}

/** A login body is two short strings. */
const LOGIN_BODY_LIMIT = 8 * 1024;
const MAX_PASSWORD_LENGTH = 1024;
/** as `npm run hash-password` asks */
const MIN_NEW_PASSWORD_LENGTH = 8;

export async function authRoutes(app: FastifyInstance, opts: AuthRouteOptions): Promise<void> {
  const auth = opts.auth?.enabled ? opts.auth : undefined;

  const cookieOptions = (request: FastifyRequest) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    path: '/',
    // only what the browser connected with: request.protocol follows X-Forwarded-Proto only with auth.trustProxy
    secure: request.protocol === 'https',
  });

  app.post('/api/auth/login', { config: { role: 'public' }, bodyLimit: LOGIN_BODY_LIMIT }, async (request, reply) => {
    if (!auth) throw new HttpError(400, 'AUTH_DISABLED', 'access control is off (auth.enabled: false): there is nothing to log in to');
    checkSameOrigin(request); // login CSRF: a page elsewhere must not log the browser in as someone else
    const { username, password } = loginBody(request.body);
    const keys = [`ip:${request.ip}`, `user:${username.toLowerCase()}`];
    const wait = auth.limiter.retryAfterMs(keys, auth.now());
    if (wait > 0) {
      request.log.warn({ user: username, ip: request.ip, retryAfterMs: wait }, 'login refused: too many failed attempts');
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError(429, 'TOO_MANY_ATTEMPTS', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`);
    }
    const user = await auth.users.verify(username, password);
    if (!user) {
      auth.limiter.fail(keys, auth.now());
      request.log.warn({ user: username, ip: request.ip }, 'login failed');
      throw new HttpError(401, 'BAD_CREDENTIALS', 'wrong user name or password');
    }
    auth.limiter.succeed(keys[1]!);
    const old = request.cookies?.[SESSION_COOKIE];
    if (old) auth.sessions.delete(old); // a fresh id at each login
    const { id, session } = auth.sessions.create(user.name);
    request.log.info({ user: user.name, role: user.role, ip: request.ip }, 'logged in');
    void reply.setCookie(SESSION_COOKIE, id, { ...cookieOptions(request), maxAge: auth.sessionMaxAgeSeconds });
    return { user: { name: user.name, role: user.role }, csrfToken: session.csrfToken };
  });

  app.post('/api/auth/logout', { config: { role: 'public' } }, async (request, reply: FastifyReply) => {
    const id = request.cookies?.[SESSION_COOKIE];
    if (auth && id) {
      checkSameOrigin(request);
      auth.sessions.delete(id);
      if (request.authSession) request.log.info({ user: request.authSession.session.userName }, 'logged out');
    }
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.code(204).send();
  });

  // The first-start admin (a stored user) changes its password here; config users change theirs in the file.
  app.post('/api/auth/password', { config: { role: 'viewer' }, bodyLimit: LOGIN_BODY_LIMIT }, async (request, reply) => {
    if (!auth) throw new HttpError(400, 'AUTH_DISABLED', 'access control is off (auth.enabled: false): there are no passwords');
    const current = request.authSession;
    if (!current) throw new HttpError(403, 'SESSION_REQUIRED', 'log in as the user whose password to change (an API token has no password)');
    if (auth.users.source === 'config') {
      throw new HttpError(409, 'USERS_IN_CONFIG', 'users are set in the config file (auth.users): put a new hash there (`npm run hash-password`)');
    }
    const b = (request.body ?? {}) as Record<string, unknown>;
    const { currentPassword, newPassword } = b;
    if (typeof currentPassword !== 'string' || currentPassword.length === 0 || currentPassword.length > MAX_PASSWORD_LENGTH) {
      throw new HttpError(400, 'BAD_REQUEST', 'currentPassword: a string');
    }
    if (typeof newPassword !== 'string' || newPassword.length < MIN_NEW_PASSWORD_LENGTH || newPassword.length > MAX_PASSWORD_LENGTH) {
      throw new HttpError(400, 'BAD_REQUEST', `newPassword: a string of ${MIN_NEW_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`);
    }
    const name = current.session.userName;
    const keys = [`ip:${request.ip}`, `user:${name.toLowerCase()}`];
    const wait = auth.limiter.retryAfterMs(keys, auth.now());
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError(429, 'TOO_MANY_ATTEMPTS', `too many wrong passwords; try again in ${Math.ceil(wait / 1000)} s`);
    }
    // the current password again: a session left open on a shared screen must not be enough to take the account
    if (!(await auth.users.verify(name, currentPassword))) {
      auth.limiter.fail(keys, auth.now());
      throw new HttpError(403, 'WRONG_PASSWORD', 'currentPassword is not the current password');
    }
    if (!(await auth.users.setStoredPassword(name, newPassword))) throw new HttpError(409, 'USERS_IN_CONFIG', `user ${name} is not stored in the database`);
    const ended = auth.sessions.deleteOthers(name, current.id);
    request.log.info({ user: name, otherSessionsEnded: ended }, 'password changed');
    return reply.code(204).send();
  });

  app.get('/api/auth/session', { config: { role: 'public' } }, async (request, reply) => {
    if (!auth) return { user: { name: 'anonymous', role: 'admin' }, csrfToken: null, authEnabled: false };
    const who = request.principal;
    if (!who) {
      void reply.header('www-authenticate', 'Bearer realm="lan-nvr"');
      throw new HttpError(401, 'UNAUTHENTICATED', 'not logged in');
    }
    return { user: { name: who.name, role: who.role }, csrfToken: request.authSession?.session.csrfToken ?? null, authEnabled: true };
  });
}

function loginBody(body: unknown): { username: string; password: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const { username, password } = b;
  if (typeof username !== 'string' || username.length === 0 || username.length > 128) {
    throw new HttpError(400, 'BAD_REQUEST', 'username: a string of 1-128 characters');
  }
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new HttpError(400, 'BAD_REQUEST', `password: a string of 1-${MAX_PASSWORD_LENGTH} characters`);
  }
  return { username, password };
}
