/**
 * Access control on the real app with a real ffmpeg publishing: nothing
 * without credentials (API, segment files, export, HTTP-FLV, HLS, WebSocket),
 * `?token=` for URL-only players (ffmpeg reading /live/cam.flv and a segment),
 * WebSocket upgrades by token and by cookie, and path-traversal attempts on
 * every route that touches files.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { hashPassword } from '../../src/auth/password-hash.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { probe } from '../helpers/ffprobe.js';
import { ffmpegPublish, run, waitFor, type Run } from '../helpers/media-tools.js';

const VIEWER = 'viewer-token-for-players-0123';
const ADMIN = 'admin-token-for-scripts-4567';
const SECRET = 'SECRET-OUTSIDE-THE-DATA-DIR';
let t: TestApp;
let pub: Run;
let segmentId: number;
const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  t = await startTestApp({
    auth: {
      enabled: true,
      users: [{ name: 'alice', role: 'viewer', passwordHash: await hashPassword('alice-password', { N: 1024, r: 8, p: 1 }) }],
      apiTokens: [
        { name: 'player', token: VIEWER, role: 'viewer' },
        { name: 'scripts', token: ADMIN, role: 'admin' },
      ],
    },
    recording: { indexIntervalMs: 1000 }, // the segment row shows bytes sooner
    cameras: [{ id: 'cam', recording: { enabled: true, format: 'flv', segmentSeconds: 60 } }, { id: 'tampered' }],
  });
  pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, { seconds: 120, gop: 25 });
  const segs = await waitFor(async () => {
    const res = await fetch(url(`/api/cameras/cam/segments?from=${Date.now() - 60_000}`), { headers: bearer(VIEWER) });
    const list = (await res.json()) as { id: number; bytes: number }[];
    return list.length > 0 && list[0]!.bytes > 20_000 ? list : null;
  }, 'a recorded segment with some frames', 20_000);
  segmentId = segs[0]!.id;
});
after(async () => {
  pub?.proc.kill('SIGKILL');
  await t.stop();
});

/** Raw GET without URL normalisation (fetch would resolve `..` before sending). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: t.httpPort, path, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => {
        body += d;
        if (body.length > 200_000) req.destroy(); // a stream: enough seen
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('close', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}

/** Opens a WebSocket; resolves with the HTTP status it was refused with, or with the first message it got. */
function wsFirst(path: string, headers: Record<string, string> = {}): Promise<{ refused?: number; message?: Buffer | string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}${path}`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode });
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      resolve({ message: isBinary ? (data as Buffer) : data.toString() });
      ws.close();
    });
    ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

test('without credentials: 401 on the API, segment files, export, thumbnails, HTTP-FLV, HLS and WebSocket', async () => {
  const now = Date.now();
  for (const path of [
    '/api/cameras',
    '/api/events',
    '/api/storage',
    `/api/segments/${segmentId}/file`,
    `/api/cameras/cam/export.mp4?from=${now - 30_000}&to=${now}`,
    '/api/cameras/cam/thumbnail',
    '/live/cam.flv',
    '/live/cam.mp4',
    '/live/cam/index.m3u8',
  ]) {
    const res = await rawGet(path);
    assert.equal(res.status, 401, path);
    assert.equal(JSON.parse(res.body).error.code, 'UNAUTHENTICATED', path);
  }
  assert.deepEqual(await wsFirst('/live/cam.mp4'), { refused: 401 });
  assert.deepEqual(await wsFirst('/live/cam.flv?token=wrong-token-wrong-token'), { refused: 401 });
  // the UI's shell is public: it shows the login page
  assert.notEqual((await fetch(url('/'))).status, 401);
});

test('?token= lets ffmpeg read /live/cam.flv and a segment file; a wrong token does not', async () => {
  const live = run('ffmpeg', ['-nostdin', '-v', 'error', '-i', url(`/live/cam.flv?token=${VIEWER}`), '-frames:v', '25', '-f', 'null', '-']);
  assert.equal(await live.exited, 0, live.stderr());
  assert.equal(live.stderr(), '');
  const p = await probe(url(`/api/segments/${segmentId}/file?token=${VIEWER}`));
  assert.ok(p.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264'), JSON.stringify(p.streams));
  const denied = run('ffmpeg', ['-nostdin', '-v', 'error', '-i', url('/live/cam.flv?token=not-the-token-at-all'), '-frames:v', '1', '-f', 'null', '-']);
  assert.notEqual(await denied.exited, 0);
  assert.match(denied.stderr(), /401/);
});

test('HLS by ?token=: the playlist hands the token on, and its segments load with it', async () => {
  const res = await fetch(url(`/live/cam/index.m3u8?token=${VIEWER}`));
  assert.equal(res.status, 200);
  const playlist = await res.text();
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
  assert.match(map, new RegExp(`\\?token=${VIEWER}$`));
  const media = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(media.length > 0 && media.every((l) => l.endsWith(`?token=${VIEWER}`)), playlist);
  assert.equal((await fetch(url(`/live/cam/${map}`))).status, 200);
  assert.equal((await fetch(url(`/live/cam/${media[0]}`))).status, 200);
  assert.equal((await fetch(url(`/live/cam/${media[0]!.split('?')[0]}`))).status, 401);
});

test('WebSocket live view: by ?token= and by the session cookie; a cookie from a foreign page (Origin) is refused', async () => {
  const byToken = await wsFirst(`/live/cam.mp4?token=${VIEWER}`);
  assert.equal(typeof byToken.message, 'string', 'the codec text message comes first');
  assert.match(byToken.message as string, /^video\/mp4; codecs="avc1\./);

  const login = await fetch(url('/api/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
  assert.equal(login.status, 200);
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const byCookie = await wsFirst('/live/cam.flv', { cookie, origin: url('') });
  assert.ok(Buffer.isBuffer(byCookie.message) && byCookie.message.subarray(0, 3).toString() === 'FLV', 'FLV header over the socket');
  assert.deepEqual(await wsFirst('/live/cam.flv', { cookie, origin: 'http://evil.example' }), { refused: 403 });
});

test('export and listings with a bearer token', async () => {
  const now = Date.now();
  const res = await fetch(url(`/api/cameras/cam/export.mp4?from=${now - 60_000}&to=${now}`), { headers: bearer(VIEWER) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'video/mp4');
  assert.ok((await res.arrayBuffer()).byteLength > 10_000);
  const seg = await fetch(url(`/api/segments/${segmentId}/file`), { method: 'HEAD', headers: bearer(VIEWER) });
  assert.equal(seg.status, 200);
});

test('path traversal: encoded dots, slashes, NUL and absolute paths get 400/404 and never a file from outside', async () => {
  for (const path of [
    '/api/segments/..%2F..%2F..%2Fetc%2Fpasswd/file',
    '/api/segments/../../../etc/passwd/file',
    '/api/segments/1%00/file',
    `/api/segments/${segmentId}%2F..%2F..%2Fpackage.json/file`,
    '/api/cameras/..%2F..%2Fetc/segments',
    '/api/cameras/%2e%2e/export.mp4?from=0&to=1',
    '/api/cameras/%2Fetc%2Fpasswd/thumbnail',
    '/api/cameras/cam%00/segments',
    '/api/events/..%2F1/snapshot.jpg',
    '/live/..%2F..%2Fetc%2Fpasswd.flv',
    '/live/%2e%2e%2f%2e%2e%2fetc/index.m3u8',
    '/live/cam/..%2F..%2F..%2Fetc%2Fpasswd',
    '/live/cam/seg-..%2F..%2Fx.m4s',
    '/../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2fpackage.json',
    '/%2Fetc%2Fpasswd',
    '/index.html%00.js',
  ]) {
    const res = await rawGet(path, bearer(ADMIN));
    assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.doesNotMatch(res.body, /root:.*:0:0:|"name": "lan-nvr"/, path);
  }
});

test('an index row pointing outside the data directory (tampering) is refused with 500, the file never read', async () => {
  const outside = join(dirname(t.dataDir), 'outside', 'secret.flv');
  mkdirSync(dirname(outside), { recursive: true });
  writeFileSync(outside, SECRET);
  const start = Date.now() - 600_000;
  const ids = ['../outside/secret.flv', outside, 'recordings/tampered/../../../outside/secret.flv'].map((path, i) => {
    const id = t.app.storage.segments.open({ cameraId: 'tampered', startMs: start + i * 60_000, format: 'flv', path, videoCodec: null, audioCodec: null, width: null, height: null });
    t.app.storage.segments.close(id, { endMs: start + i * 60_000 + 50_000, bytes: SECRET.length, frames: 1, keyframes: Buffer.alloc(0), reason: 'test' });
    return id;
  });
  for (const id of ids) {
    const res = await rawGet(`/api/segments/${id}/file`, bearer(ADMIN));
    assert.equal(res.status, 500, res.body);
    assert.doesNotMatch(res.body, new RegExp(SECRET));
  }
  const exp = await rawGet(`/api/cameras/tampered/export.mp4?from=${start}&to=${start + 200_000}`, bearer(ADMIN));
  assert.equal(exp.status, 500, exp.body);
  assert.doesNotMatch(exp.body, new RegExp(SECRET));
  assert.ok(t.logs.some((l) => l.msg === 'segment path escapes dataDir; refused'));
});

test('no token, password or session id ever reaches the log (?token= is cut before logging)', () => {
  const text = JSON.stringify(t.logs);
  assert.ok(t.logs.length > 50, `${t.logs.length} log lines (debug level)`);
  for (const secret of [VIEWER, ADMIN, 'alice-password', 'not-the-token-at-all']) assert.ok(!text.includes(secret), `${secret} in the log`);
  assert.doesNotMatch(text, /nvr_session=/);
});
