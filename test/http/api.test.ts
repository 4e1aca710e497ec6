import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import { HttpError } from '../../src/http/errors.js';
import { buildHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';

const logger = createLogger('silent', { pretty: false });

const front: CameraStatus = {
  id: 'front-door',
  name: 'Front door',
  live: true,
  recording: true,
  video: { codec: 'h264', width: 1920, height: 1080, fps: 25 },
  audio: { codec: 'aac', sampleRate: 48000, channels: 2 },
  bitrateKbps: 4100,
  viewers: 2,
};
const yard: CameraStatus = {
  id: 'yard',
  name: 'Yard',
  live: false,
  recording: false,
  video: null,
  audio: null,
  bitrateKbps: 0,
  viewers: 0,
};

function server(cameras: CameraStatus[] = [front, yard], now = () => Date.parse('2026-11-25T14:00:00.000Z')): HttpServer {
  return buildHttpServer({ logger, cameras: { list: () => cameras }, version: '1.2.3', now });
}

describe('GET /api/health', () => {
  test('answers status, version, uptime and UTC time', async () => {
    let t = Date.parse('2026-11-25T14:00:00.000Z');
    const app = server(undefined, () => t);
    t += 61_500;
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json(), { status: 'ok', version: '1.2.3', uptimeSeconds: 61, time: '2026-11-25T14:01:01.500Z' });
    await app.close();
  });
});

describe('GET /api/cameras', () => {
  test('lists cameras in source order, in the contract shape', async () => {
    const app = server();
    const res = await app.inject({ method: 'GET', url: '/api/cameras' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [front, yard]);
    await app.close();
  });

  test('fields a source carries beyond the contract do not leak', async () => {
    const leaky = { ...yard, internalSocket: 'x', video: { codec: 'h264', width: 640, height: 480, fps: null, sps: 'abc' } };
    const app = server([leaky as CameraStatus]);
    const res = await app.inject({ method: 'GET', url: '/api/cameras' });
    assert.deepEqual(res.json(), [{ ...yard, video: { codec: 'h264', width: 640, height: 480, fps: null } }]);
    await app.close();
  });

  test('an empty source gives an empty list', async () => {
    const app = server([]);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/api/cameras' })).json(), []);
    await app.close();
  });
});

describe('errors', () => {
  // Routes that fail in each way, added before the server is ready.
  function failing(): HttpServer {
    const app = server();
    app.get('/api/test/crash', async () => {
      throw new Error('disk on fire at /secret/path');
    });
    app.get('/api/test/gone', async () => {
      throw new HttpError(404, 'CAMERA_NOT_FOUND', 'no camera "x"');
    });
    app.get('/api/test/validated', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } }, async () => ({}));
    app.post('/api/test/echo', async (req) => req.body);
    return app;
  }

  const cases: { name: string; method: 'GET' | 'POST'; url: string; body?: string; status: number; code: string; message?: string | RegExp }[] = [
    { name: 'unknown route', method: 'GET', url: '/api/nope?x=1', status: 404, code: 'NOT_FOUND', message: 'no route for GET /api/nope' },
    { name: 'wrong method', method: 'POST', url: '/api/health', status: 404, code: 'NOT_FOUND' },
    { name: 'thrown error hides internals', method: 'GET', url: '/api/test/crash', status: 500, code: 'INTERNAL', message: 'internal error' },
    { name: 'HttpError keeps status and code', method: 'GET', url: '/api/test/gone', status: 404, code: 'CAMERA_NOT_FOUND', message: 'no camera "x"' },
    { name: 'query validation', method: 'GET', url: '/api/test/validated?n=abc', status: 400, code: 'BAD_REQUEST', message: /querystring\/n must be integer/ },
    { name: 'malformed JSON body', method: 'POST', url: '/api/test/echo', body: '{"a":', status: 400, code: 'BAD_REQUEST' },
    { name: 'body over 1 MiB', method: 'POST', url: '/api/test/echo', body: JSON.stringify({ a: 'x'.repeat(1024 * 1024) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.status} ${c.code}`, async () => {
      const app = failing();
      const res = await app.inject({
        method: c.method,
        url: c.url,
        ...(c.body !== undefined && { payload: c.body, headers: { 'content-type': 'application/json' } }),
      });
      assert.equal(res.statusCode, c.status);
      const body = res.json() as { error: { code: string; message: string } };
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error), ['code', 'message']);
      assert.equal(body.error.code, c.code);
      assert.equal(typeof body.error.message, 'string');
      if (typeof c.message === 'string') assert.equal(body.error.message, c.message);
      else if (c.message) assert.match(body.error.message, c.message);
      await app.close();
    });
  }
});
