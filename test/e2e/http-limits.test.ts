/**
 * http.limits on the running app over real TCP: query ranges beyond
 * maxRangeDays on every ranged endpoint, and concurrent exports capped per
 * client address and globally (clients from 127.0.0.1, .2 and .3 that stop
 * reading hold their export open, as a slow download does).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { run, waitFor } from '../helpers/media-tools.js';

const DAY = 86_400_000;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  sock: net.Socket;
}

/** GET over a raw socket from `localAddress`; reads the head (and a short body), then stops reading. */
async function rawGet(port: number, path: string, localAddress: string): Promise<RawAnswer> {
  const sock = net.connect({ port, host: '127.0.0.1', localAddress });
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  let buf = Buffer.alloc(0);
  return new Promise<RawAnswer>((resolve, reject) => {
    sock.on('close', () => reject(new Error(`closed before an answer: ${buf.toString('latin1').slice(0, 200)}`)));
    sock.on('data', function onData(d: Buffer) {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const status = Number(statusLine.split(' ')[1]);
      const body = buf.subarray(end + 4);
      const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
      if (status !== 200 && length !== null && body.length < length) return; // an error answer: read it whole
      sock.off('data', onData);
      sock.pause(); // a 200 export: stop reading, so it stays in flight
      resolve({ status, headers, body: body.toString('latin1'), sock });
    });
  });
}

describe('http.limits on the running app', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      http: { port: 0, host: '127.0.0.1', limits: { maxRangeDays: 2, maxExports: 2, maxExportsPerClient: 1, maxEventsPerRequest: 5 } },
      cameras: [{ id: 'cam', recording: { segmentSeconds: 2 }, motion: { enabled: false } }],
    });
    // 4 s at a constant 20 Mbit/s (x264 filler): an export of ~10 MB, more than loopback socket buffers hold
    const pub = run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-b:v', '20M', '-minrate', '20M', '-maxrate', '20M', '-bufsize', '2M',
      '-x264-params', 'nal-hrd=cbr', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/cam`,
    ]);
    assert.equal(await pub.exited, 0, pub.stderr());
    await waitFor(() => {
      const rows = t.app.storage.segments.list('cam', 0, Date.now() + 1000);
      return rows.length > 0 && rows.every((r) => r.state !== 'open');
    }, 'segments closed');
  });
  after(() => t.stop());

  test('a from..to span beyond maxRangeDays: 400 RANGE_TOO_LARGE naming the cap, on every ranged endpoint', async () => {
    const to = Date.now() + 60_000;
    const over = `from=${to - 3 * DAY}&to=${to}`;
    for (const path of ['/api/cameras/cam/segments', '/api/cameras/cam/timeline', '/api/events', '/api/cameras/cam/export.mp4']) {
      const res = await fetch(`http://127.0.0.1:${t.httpPort}${path}?${over}`);
      assert.equal(res.status, 400, path);
      assert.deepEqual(await res.json(), {
        error: { code: 'RANGE_TOO_LARGE', message: 'from..to spans 3 days; at most 2 days per request (http.limits.maxRangeDays), split the range' },
      });
    }
    const ok = await fetch(`http://127.0.0.1:${t.httpPort}/api/cameras/cam/segments?from=${to - 2 * DAY}&to=${to}`);
    assert.equal(ok.status, 200);
    assert.ok(((await ok.json()) as unknown[]).length > 0);
  });

  test('a ?limit= of events beyond maxEventsPerRequest: 400 naming the cap', async () => {
    const over = await fetch(`http://127.0.0.1:${t.httpPort}/api/events?limit=6`);
    assert.equal(over.status, 400);
    assert.deepEqual(await over.json(), { error: { code: 'BAD_REQUEST', message: 'limit (at most http.limits.maxEventsPerRequest): an integer from 1 to 5' } });
    assert.equal((await fetch(`http://127.0.0.1:${t.httpPort}/api/events?limit=5`)).status, 200);
  });

  test('exports: the second of one client gets 429, the third overall 503, both with Retry-After; a finished one frees its slot', async () => {
    const path = `/api/cameras/cam/export.mp4?from=${Date.now() - 3_600_000}`;
    const a = await rawGet(t.httpPort, path, '127.0.0.1');
    assert.equal(a.status, 200);
    const a2 = await rawGet(t.httpPort, path, '127.0.0.1');
    assert.equal(a2.status, 429);
    assert.equal(a2.headers['retry-after'], '30');
    assert.deepEqual(JSON.parse(a2.body), {
      error: { code: 'TOO_MANY_EXPORTS', message: '1 exports of yours are running, the most per client (http.limits.maxExportsPerClient); wait for one to finish' },
    });
    const b = await rawGet(t.httpPort, path, '127.0.0.2');
    assert.equal(b.status, 200);
    const c = await rawGet(t.httpPort, path, '127.0.0.3');
    assert.equal(c.status, 503);
    assert.equal(c.headers['retry-after'], '30');
    assert.equal(JSON.parse(c.body).error.code, 'TOO_MANY_EXPORTS');
    assert.match(JSON.parse(c.body).error.message, /^2 exports are running, the most at once \(http\.limits\.maxExports\)/);
    const refused = t.logs.filter((l) => String(l.msg).startsWith('export refused'));
    assert.deepEqual(refused.map((l) => [l.limit, l.client, l.level]), [['maxExportsPerClient', '127.0.0.1', 40], ['maxExports', '127.0.0.3', 40]]);

    // b reads its export to the end: an MP4 of the whole ~10 MB
    let bytes = b.body.length;
    b.sock.on('data', (d: Buffer) => (bytes += d.length));
    b.sock.resume();
    await waitFor(() => bytes > 8_000_000 && b.sock.readableLength === 0 ? bytes : null, 'b downloaded', 20_000);
    a.sock.destroy(); // a gives up half-way
    const c2 = await waitFor(async () => {
      const r = await rawGet(t.httpPort, path, '127.0.0.3');
      if (r.status === 200) return r;
      r.sock.destroy();
      return null;
    }, 'a slot for .3 once a and b are done');
    c2.sock.destroy();
    b.sock.destroy();
    for (const s of [a2.sock, c.sock]) s.destroy();
  });
});
