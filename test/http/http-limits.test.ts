/** http.limits at the HTTP layer: body size, request/header timeouts, and the export slot counter. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { ExportSlots } from '../../src/http/export-slots.js';
import { DEFAULT_HTTP_LIMITS } from '../../src/http/http-limits.js';
import { buildHttpServer, listenHttp } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';

const logger = createLogger('silent', { pretty: false });
const limits = { ...DEFAULT_HTTP_LIMITS, maxBodyBytes: 2048, requestTimeoutMs: 1500, headersTimeoutMs: 1000 };

function server() {
  const app = buildHttpServer({ logger, cameras: { list: () => [] }, version: 'test', limits });
  app.post('/api/test/echo', async (req) => req.body);
  return app;
}

describe('http.limits', () => {
  test('maxBodyBytes: a body over the cap gets 413 PAYLOAD_TOO_LARGE in the JSON error shape; one under it passes', async () => {
    const app = server();
    const post = (n: number) => app.inject({ method: 'POST', url: '/api/test/echo', payload: JSON.stringify({ a: 'x'.repeat(n) }), headers: { 'content-type': 'application/json' } });
    const ok = await post(1000);
    assert.equal(ok.statusCode, 200);
    const big = await post(3000);
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(Object.keys(big.json().error), ['code', 'message']);
    await app.close();
  });

  test('headersTimeoutMs: a client that never finishes its headers is cut off', async () => {
    const app = server();
    const port = await listenHttp(app, 0, '127.0.0.1');
    const started = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    let answer = '';
    sock.on('data', (d) => (answer += d));
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /api/health HTTP/1.1\r\nHost: x\r\n'); // no blank line: the headers never end
    const drip = setInterval(() => sock.write('X-Slow: 1\r\n'), 200); // slow-loris: a byte now and then
    await new Promise((r) => sock.once('close', r));
    clearInterval(drip);
    const ms = Date.now() - started;
    // checked every headersTimeoutMs / 4 (connectionsCheckingInterval), else every 30 s
    assert.ok(ms >= 900 && ms < 5000, `closed after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
    await app.close();
  });

  test('requestTimeoutMs: a body that never finishes arriving is cut off with 408', async () => {
    const app = server();
    const port = await listenHttp(app, 0, '127.0.0.1');
    const started = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    let answer = '';
    sock.on('data', (d) => (answer += d));
    await new Promise((r) => sock.once('connect', r));
    sock.write('POST /api/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    await new Promise((r) => sock.once('close', r));
    const ms = Date.now() - started;
    assert.ok(ms >= 1400 && ms < 5000, `closed after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
    await app.close();
  });
});

describe('ExportSlots', () => {
  const log = { warn: () => {} };
  test('global and per-client caps; releases are idempotent', () => {
    const slots = new ExportSlots(2, 1);
    const a = slots.acquire('10.0.0.1', log);
    assert.throws(() => slots.acquire('10.0.0.1', log), (e: { statusCode: number; code: string; retryAfterSeconds: number }) => e.statusCode === 429 && e.code === 'TOO_MANY_EXPORTS' && e.retryAfterSeconds === 30);
    const b = slots.acquire('10.0.0.2', log);
    assert.throws(() => slots.acquire('10.0.0.3', log), (e: { statusCode: number; message: string }) => e.statusCode === 503 && /http\.limits\.maxExports\b/.test(e.message));
    a();
    a();
    assert.equal(slots.running, 1);
    const c = slots.acquire('10.0.0.3', log);
    b();
    c();
    assert.equal(slots.running, 0);
    slots.acquire('10.0.0.1', log); // the per-client count was released too
  });
});
