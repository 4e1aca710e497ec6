/**
 * Access control over real HTTP on loopback: logins and the session cookie,
 * CSRF, roles for tokens and users, rate limits, restarts, headers. The
 * server is the real one (buildHttpServer + startAuth on a real SQLite file)
 * with a few probe routes added the way other modules declare theirs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { hashPassword } from '../../src/auth/password-hash.js';
import { startAuth, type Auth } from '../../src/auth/start-auth.js';
import type { AuthConfig } from '../../src/config/schema.js';
import { buildHttpServer, listenHttp, type HttpServer } from '../../src/http/server.js';
import { startStorage, type Storage } from '../../src/storage/storage.js';

const root = mkdtempSync(join(tmpdir(), 'nvr-auth-'));
after(() => rmSync(root, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });
const FAST = { N: 1024, r: 8, p: 1 }; // tests only: the default costs ~60 ms per login

const VIEWER_TOKEN = 'viewer-token-0123456789';
const ADMIN_TOKEN = 'admin-token-9876543210abc';
const users = {
  alice: { password: 'alice-password-1', role: 'admin' as const },
  victor: { password: 'victor-password-2', role: 'viewer' as const },
};

async function authConfig(overrides: Partial<AuthConfig> = {}, params = FAST): Promise<AuthConfig> {
  return {
    enabled: true,
    trustProxy: false,
    users: await Promise.all(Object.entries(users).map(async ([name, u]) => ({ name, role: u.role, passwordHash: await hashPassword(u.password, params) }))),
    apiTokens: [
      { name: 'dashboard', token: VIEWER_TOKEN, role: 'viewer' },
      { name: 'scripts', token: ADMIN_TOKEN, role: 'admin' },
    ],
    session: { idleMinutes: 60, maxDays: 1 },
    loginLimit: { maxFailures: 5, windowSeconds: 60, maxBlockSeconds: 900 },
    ...overrides,
  };
}

interface Server {
  base: string;
  dataDir: string;
  announced: string[];
  close(): Promise<void>;
}

/** The real HTTP server with auth on a SQLite file in `dataDir` (reused by a restart). */
async function startServer(config: AuthConfig, dataDir = mkdtempSync(join(root, 'd-'))): Promise<Server> {
  const storage: Storage = startStorage(dataDir, silent);
  const announced: string[] = [];
  const auth: Auth = await startAuth({ config, db: storage.db, log: silent, announce: (t) => announced.push(t) });
  const app: HttpServer = buildHttpServer({ logger: silent, cameras: { list: () => [] }, version: '9.9.9', auth });
  const who = async (request: { principal: unknown }) => ({ who: request.principal });
  app.get('/api/probe', who);
  app.post('/api/probe', who);
  app.post('/api/viewer-probe', { config: { role: 'viewer' } }, who);
  app.get('/api/admin-probe', { config: { role: 'admin' } }, who);
  const port = await listenHttp(app, 0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${port}`,
    dataDir,
    announced,
    close: async () => {
      await app.close();
      auth.stop();
      await storage.stop();
    },
  };
}

async function login(s: Server, username: string, password: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { user?: { name: string; role: string }; csrfToken?: string; error?: { code: string } };
  const setCookie = res.headers.getSetCookie();
  const cookie = setCookie.find((c) => c.startsWith('nvr_session='));
  return { res, body, setCookie: cookie, cookie: cookie?.split(';')[0] };
}

const call = (s: Server, path: string, init: RequestInit = {}) => fetch(s.base + path, init);
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('login, session cookie, logout', async () => {
  const s = await startServer(await authConfig());
  after(() => s.close());

  test('a right password: 200 with user and csrfToken, and an HttpOnly SameSite=Strict cookie (no Secure on plain http)', async () => {
    const { res, body, setCookie, cookie } = await login(s, 'alice', users.alice.password);
    assert.equal(res.status, 200);
    assert.deepEqual(body.user, { name: 'alice', role: 'admin' });
    assert.match(body.csrfToken!, /^[A-Za-z0-9_-]{43}$/);
    const attrs = setCookie!.split(';').map((a) => a.trim().toLowerCase());
    assert.match(cookie!, /^nvr_session=[A-Za-z0-9_-]{43}$/);
    for (const a of ['httponly', 'samesite=strict', 'path=/', 'max-age=86400']) assert.ok(attrs.includes(a), `${a} in ${setCookie}`);
    assert.ok(!attrs.includes('secure'), setCookie);

    const session = await call(s, '/api/auth/session', { headers: { cookie: cookie! } });
    assert.equal(session.status, 200);
    assert.deepEqual(await session.json(), { user: { name: 'alice', role: 'admin' }, csrfToken: body.csrfToken, authEnabled: true });
    const probe = await call(s, '/api/probe', { headers: { cookie: cookie! } });
    assert.deepEqual(await probe.json(), { who: { name: 'alice', role: 'admin', via: 'session' } });
  });

  test('a wrong password and an unknown user get the same 401 BAD_CREDENTIALS and no cookie', async () => {
    const wrong = await login(s, 'alice', 'not-her-password');
    const unknown = await login(s, 'mallory', 'whatever-password');
    for (const r of [wrong, unknown]) {
      assert.equal(r.res.status, 401);
      assert.deepEqual(r.body, { error: { code: 'BAD_CREDENTIALS', message: 'wrong user name or password' } });
      assert.equal(r.cookie, undefined);
    }
    const bad = await call(s, '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice"}' });
    assert.equal(bad.status, 400);
  });

  test('logout: 204, the cookie cleared, and the old cookie no longer works', async () => {
    const { cookie } = await login(s, 'alice', users.alice.password);
    const out = await call(s, '/api/auth/logout', { method: 'POST', headers: { cookie: cookie! } });
    assert.equal(out.status, 204);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('nvr_session='))!;
    assert.match(cleared, /^nvr_session=;/);
    assert.match(cleared, /Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    const after = await call(s, '/api/probe', { headers: { cookie: cookie! } });
    assert.equal(after.status, 401);
    assert.equal(await errorCode(after), 'UNAUTHENTICATED');
    const session = await call(s, '/api/auth/session', { headers: { cookie: cookie! } });
    assert.equal(session.status, 401);
  });

  test('nothing at all: 401 UNAUTHENTICATED with WWW-Authenticate: Bearer; a stale cookie does not block logging in', async () => {
    const res = await call(s, '/api/probe');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="lan-nvr"');
    assert.equal(await errorCode(res), 'UNAUTHENTICATED');
    const stale = 'nvr_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    assert.equal((await call(s, '/api/probe', { headers: { cookie: stale } })).status, 401);
    const { res: ok } = await login(s, 'victor', users.victor.password, { cookie: stale });
    assert.equal(ok.status, 200);
  });

  test('CSRF: a change with the cookie needs X-CSRF-Token; missing or wrong: 403, right: done; a foreign Origin: 403', async () => {
    const { cookie, body } = await login(s, 'alice', users.alice.password);
    const post = (headers: Record<string, string>) => call(s, '/api/probe', { method: 'POST', headers: { cookie: cookie!, ...headers } });
    const missing = await post({});
    assert.equal(missing.status, 403);
    assert.equal(await errorCode(missing), 'CSRF_TOKEN_INVALID');
    const wrong = await post({ 'x-csrf-token': body.csrfToken!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
    assert.equal(wrong.status, 403);
    assert.equal(await errorCode(wrong), 'CSRF_TOKEN_INVALID');
    const right = await post({ 'x-csrf-token': body.csrfToken! });
    assert.equal(right.status, 200);
    const sameOrigin = await post({ 'x-csrf-token': body.csrfToken!, origin: s.base });
    assert.equal(sameOrigin.status, 200);
    const foreign = await post({ 'x-csrf-token': body.csrfToken!, origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(await errorCode(foreign), 'CROSS_ORIGIN');
    const crossSite = await post({ 'x-csrf-token': body.csrfToken!, 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    // a cross-site login (login CSRF) is refused too
    const { res } = await login(s, 'alice', users.alice.password, { origin: 'http://evil.example' });
    assert.equal(res.status, 403);
  });

  test('roles: a viewer token reads but may not change; an admin token may; bearer requests need no CSRF token', async () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const viewerGet = await call(s, '/api/probe', { headers: as(VIEWER_TOKEN) });
    assert.deepEqual(await viewerGet.json(), { who: { name: 'dashboard', role: 'viewer', via: 'token' } });
    const viewerPost = await call(s, '/api/probe', { method: 'POST', headers: as(VIEWER_TOKEN) });
    assert.equal(viewerPost.status, 403);
    assert.equal(await errorCode(viewerPost), 'FORBIDDEN');
    assert.equal((await call(s, '/api/admin-probe', { headers: as(VIEWER_TOKEN) })).status, 403, 'config: { role: admin } on a GET');
    assert.equal((await call(s, '/api/viewer-probe', { method: 'POST', headers: as(VIEWER_TOKEN) })).status, 200, 'config: { role: viewer } on a POST');
    const adminPost = await call(s, '/api/probe', { method: 'POST', headers: as(ADMIN_TOKEN) });
    assert.deepEqual(await adminPost.json(), { who: { name: 'scripts', role: 'admin', via: 'token' } });
    assert.equal((await call(s, '/api/admin-probe', { headers: as(ADMIN_TOKEN) })).status, 200);

    const bad = await call(s, '/api/probe', { headers: as(`${VIEWER_TOKEN}x`) });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.equal((await call(s, '/api/probe', { headers: { authorization: `Basic ${btoa('alice:x')}` } })).status, 401);
    // a bad token is never rescued by a good cookie
    const { cookie } = await login(s, 'alice', users.alice.password);
    assert.equal((await call(s, '/api/probe', { headers: { ...as('nope-nope-nope-nope'), cookie: cookie! } })).status, 401);
    // tokens go in the header: ?token= is only for live streams and media files
    assert.equal((await call(s, `/api/probe?token=${VIEWER_TOKEN}`)).status, 401);
  });

  test('a viewer user reads but gets 403 on changes even with the right CSRF token', async () => {
    const { cookie, body } = await login(s, 'victor', users.victor.password);
    assert.equal((await call(s, '/api/probe', { headers: { cookie: cookie! } })).status, 200);
    const res = await call(s, '/api/probe', { method: 'POST', headers: { cookie: cookie!, 'x-csrf-token': body.csrfToken! } });
    assert.equal(res.status, 403);
    assert.equal(await errorCode(res), 'FORBIDDEN');
  });

  test('security headers on answers of every kind; no HSTS on plain http', async () => {
    for (const res of [await call(s, '/api/health'), await call(s, '/api/probe'), await call(s, '/nothing-here')]) {
      assert.equal(
        res.headers.get('content-security-policy'),
        "default-src 'self';script-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data: blob:;media-src 'self' blob:;connect-src 'self';worker-src 'self' blob:;object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
      );
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'same-origin');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('strict-transport-security'), null);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });

  test('/api/health is public and does not tell strangers the version', async () => {
    const anon = (await (await call(s, '/api/health')).json()) as Record<string, unknown>;
    assert.equal(anon.status, 'ok');
    assert.equal(anon.version, undefined);
    const known = (await (await call(s, '/api/health', { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } })).json()) as Record<string, unknown>;
    assert.equal(known.version, '9.9.9');
  });
});

describe('login rate limit', () => {
  test('five failures a minute: 429 TOO_MANY_ATTEMPTS with Retry-After, even for the right password, for that address', async () => {
    const s = await startServer(await authConfig());
    try {
      for (let i = 0; i < 5; i++) assert.equal((await login(s, 'alice', `wrong-${i}`)).res.status, 401);
      const blocked = await login(s, 'alice', users.alice.password);
      assert.equal(blocked.res.status, 429);
      assert.equal(blocked.body.error!.code, 'TOO_MANY_ATTEMPTS');
      const retry = Number(blocked.res.headers.get('retry-after'));
      assert.ok(retry >= 55 && retry <= 60, `Retry-After ${retry}`);
      assert.equal(blocked.cookie, undefined);
      assert.equal((await login(s, 'victor', users.victor.password)).res.status, 429, 'the address is blocked too');
    } finally {
      await s.close();
    }
  });

  test('an unknown user costs the same scrypt as a wrong password (default parameters)', async (ctx) => {
    const s = await startServer(await authConfig({ loginLimit: { maxFailures: 1000, windowSeconds: 60, maxBlockSeconds: 60 } }, { N: 2 ** 15, r: 8, p: 1 }));
    try {
      const time = async (user: string) => {
        const t0 = performance.now();
        assert.equal((await login(s, user, 'wrong-password')).res.status, 401);
        return performance.now() - t0;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time('alice'));
        unknown.push(await time(`nobody${i}`));
      }
      const [k, u] = [median(known), median(unknown)];
      ctx.diagnostic(`login answer, median of 5: wrong password ${k.toFixed(1)} ms, unknown user ${u.toFixed(1)} ms`);
      assert.ok(k > 10, `a wrong password took ${k.toFixed(1)} ms: scrypt is running`);
      assert.ok(u > k * 0.5 && u < k * 2, `unknown user ${u.toFixed(1)} ms vs wrong password ${k.toFixed(1)} ms`);
    } finally {
      await s.close();
    }
  });
});

describe('sessions across restarts; proxies; first start', () => {
  test('a session survives a restart on the same data directory, and ends when its user leaves the config', async () => {
    const config = await authConfig();
    const first = await startServer(config);
    const { cookie, body } = await login(first, 'alice', users.alice.password);
    await first.close();

    const second = await startServer(config, first.dataDir);
    const res = await call(second, '/api/auth/session', { headers: { cookie: cookie! } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { user: { name: 'alice', role: 'admin' }, csrfToken: body.csrfToken, authEnabled: true });
    await second.close();

    const third = await startServer({ ...config, users: config.users.filter((u) => u.name !== 'alice') }, first.dataDir);
    try {
      assert.equal((await call(third, '/api/probe', { headers: { cookie: cookie! } })).status, 401);
    } finally {
      await third.close();
    }
  });

  test('Secure cookie and HSTS only when https is known: X-Forwarded-Proto counts only with trustProxy', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const plain = await startServer(await authConfig());
    try {
      const r = await login(plain, 'alice', users.alice.password, https);
      assert.ok(!/;\s*secure/i.test(r.setCookie!), r.setCookie);
      assert.equal(r.res.headers.get('strict-transport-security'), null);
    } finally {
      await plain.close();
    }
    const proxied = await startServer(await authConfig({ trustProxy: true }));
    try {
      const r = await login(proxied, 'alice', users.alice.password, https);
      assert.match(r.setCookie!, /;\s*Secure/);
      assert.equal(r.res.headers.get('strict-transport-security'), 'max-age=15552000');
      const direct = await login(proxied, 'alice', users.alice.password);
      assert.ok(!/;\s*secure/i.test(direct.setCookie!), 'plain http through the proxy: no Secure');
    } finally {
      await proxied.close();
    }
  });

  test('first start with no users: admin with a random password, announced once; the next start says nothing', async () => {
    const config = await authConfig({ users: [] });
    const first = await startServer(config);
    let password: string;
    try {
      assert.equal(first.announced.length, 1);
      password = /with password\n\n\s+(\S+)\n/.exec(first.announced[0]!)![1]!;
      assert.ok(password.length >= 16, password);
      assert.match(first.announced[0]!, /npm run hash-password/);
      assert.match(first.announced[0]!, /POST \/api\/auth\/password/);
      const { res, body } = await login(first, 'admin', password);
      assert.equal(res.status, 200);
      assert.deepEqual(body.user, { name: 'admin', role: 'admin' });
    } finally {
      await first.close();
    }
    const second = await startServer(config, first.dataDir);
    try {
      assert.deepEqual(second.announced, []);
      assert.equal((await login(second, 'admin', password)).res.status, 200, 'the stored admin still logs in');
    } finally {
      await second.close();
    }
    // once the config lists users, they are the users: the stored admin no longer logs in
    const third = await startServer(await authConfig(), first.dataDir);
    try {
      assert.deepEqual(third.announced, []);
      assert.equal((await login(third, 'admin', password)).res.status, 401);
    } finally {
      await third.close();
    }
  });

  test('the stored admin changes its password (current one, CSRF token); other sessions end; config users cannot', async () => {
    const s = await startServer(await authConfig({ users: [] }));
    try {
      const password = /with password\n\n\s+(\S+)\n/.exec(s.announced[0]!)![1]!;
      const other = await login(s, 'admin', password);
      const me = await login(s, 'admin', password);
      const change = (body: unknown, headers: Record<string, string> = { cookie: me.cookie!, 'x-csrf-token': me.body.csrfToken! }) =>
        call(s, '/api/auth/password', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const noCsrf = await change({ currentPassword: password, newPassword: 'a brand new one' }, { cookie: me.cookie! });
      assert.equal(await errorCode(noCsrf), 'CSRF_TOKEN_INVALID');
      const wrong = await change({ currentPassword: 'not it at all', newPassword: 'a brand new one' });
      assert.equal(wrong.status, 403);
      assert.equal(await errorCode(wrong), 'WRONG_PASSWORD');
      assert.equal((await change({ currentPassword: password, newPassword: 'short' })).status, 400);
      const byToken = await change({ currentPassword: password, newPassword: 'a brand new one' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
      assert.equal(await errorCode(byToken), 'SESSION_REQUIRED');
      assert.equal((await change({ currentPassword: password, newPassword: 'a brand new one' })).status, 204);

      assert.equal((await login(s, 'admin', password)).res.status, 401, 'the old password no longer works');
      assert.equal((await login(s, 'admin', 'a brand new one')).res.status, 200);
      assert.equal((await call(s, '/api/probe', { headers: { cookie: other.cookie! } })).status, 401, 'the other device logs in again');
      assert.equal((await call(s, '/api/probe', { headers: { cookie: me.cookie! } })).status, 200, 'this session goes on');
    } finally {
      await s.close();
    }
    const configured = await startServer(await authConfig());
    try {
      const { cookie, body } = await login(configured, 'alice', users.alice.password);
      const res = await call(configured, '/api/auth/password', {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: cookie!, 'x-csrf-token': body.csrfToken! },
        body: JSON.stringify({ currentPassword: users.alice.password, newPassword: 'a brand new one' }),
      });
      assert.equal(res.status, 409);
      assert.equal(await errorCode(res), 'USERS_IN_CONFIG');
    } finally {
      await configured.close();
    }
  });

  test('auth disabled: the session answer says so and everything is open', async () => {
    const s = await startServer(await authConfig({ enabled: false }));
    try {
      assert.deepEqual(await (await call(s, '/api/auth/session')).json(), { user: { name: 'anonymous', role: 'admin' }, csrfToken: null, authEnabled: false });
      assert.equal((await call(s, '/api/probe', { method: 'POST' })).status, 200);
      assert.deepEqual(s.announced, [], 'no admin is made when auth is off');
    } finally {
      await s.close();
    }
  });
});
