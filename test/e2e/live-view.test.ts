/**
 * Live view end to end: a real ffmpeg publishes into the in-process app;
 * real ffmpeg, raw HTTP and WebSocket clients watch /live/:id.flv and .mp4.
 * Also the error answers, the viewer count, a publisher reconnect, and a
 * stuck client that must not cost memory or recording.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, run, waitFor, type Run } from '../helpers/media-tools.js';

interface Camera {
  id: string;
  live: boolean;
  viewers: number;
}

let t: TestApp;
let pub: Run;
const url = (path: string, scheme = 'http') => `${scheme}://127.0.0.1:${t.httpPort}${path}`;
const camera = async (id: string) => (await t.get<Camera[]>('/api/cameras')).find((c) => c.id === id)!;

before(async () => {
  t = await startTestApp({
    cameras: [
      { id: 'cam', recording: { enabled: false } },
      { id: 'idle' },
      { id: 'again', recording: { enabled: false } },
      { id: 'slow', recording: { enabled: true, format: 'flv', segmentSeconds: 60 } },
    ],
  });
  pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, { seconds: 300, gop: 50 });
  await waitFor(async () => (await camera('cam')).live, 'cam live');
  await new Promise((r) => setTimeout(r, 2500)); // a GOP cached, as for a camera that has been up a while
});
after(async () => {
  pub.proc.kill('SIGKILL');
  await t.stop();
});

/** Raw HTTP GET: status, headers, and when (ms after the request) the first byte and the first keyframe's bytes arrived. */
function timedGet(path: string, want: 'flv' | 'mp4'): Promise<{ status: number; headers: http.IncomingHttpHeaders; firstByteMs: number; keyframeMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url(path), (res) => {
      let buf = Buffer.alloc(0);
      let firstByteMs = -1;
      res.on('data', (chunk: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - t0;
        buf = Buffer.concat([buf, chunk]);
        if (keyframeStarted(buf, want)) {
          resolve({ status: res.statusCode!, headers: res.headers, firstByteMs, keyframeMs: performance.now() - t0 });
          req.destroy();
        }
      });
    });
    req.on('error', reject);
  });
}

/** Whether the bytes so far reach into the first video keyframe: an FLV AVC NALU tag with FrameType 1, or the first moof. */
function keyframeStarted(b: Buffer, format: 'flv' | 'mp4'): boolean {
  let pos = format === 'flv' ? 13 : 0;
  while (pos + 12 <= b.length) {
    if (format === 'flv') {
      if (b[pos] === 9 && b[pos + 11] === 0x17 && (pos + 12 >= b.length || b[pos + 12] === 1)) return true;
      pos += 11 + b.readUIntBE(pos + 1, 3) + 4;
    } else {
      if (b.toString('latin1', pos + 4, pos + 8) === 'moof') return true;
      pos += b.readUInt32BE(pos);
    }
  }
  return false;
}

/** Messages of a WebSocket until `count` arrived (text as strings). */
function wsMessages(path: string, count: number): Promise<(Buffer | string)[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(path, 'ws'));
    const got: (Buffer | string)[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      got.push(isBinary ? data : data.toString());
      if (got.length === count) {
        ws.close();
        resolve(got);
      }
    });
    ws.on('error', reject);
  });
}

function wsCloseCode(path: string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url(path, 'ws'));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', () => {});
  });
}

test('unknown camera: 404 CAMERA_NOT_FOUND; offline camera: 503 CAMERA_OFFLINE with Retry-After; WebSocket close codes 4404 / 4503', async () => {
  for (const ext of ['flv', 'mp4']) {
    const missing = await fetch(url(`/live/nope.${ext}`));
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'CAMERA_NOT_FOUND');
    const offline = await fetch(url(`/live/idle.${ext}`));
    assert.equal(offline.status, 503);
    assert.equal(offline.headers.get('retry-after'), '2');
    assert.equal(((await offline.json()) as { error: { code: string } }).error.code, 'CAMERA_OFFLINE');
    assert.equal((await wsCloseCode(`/live/nope.${ext}`)).code, 4404);
    const ws503 = await wsCloseCode(`/live/idle.${ext}`);
    assert.equal(ws503.code, 4503);
    assert.match(ws503.reason, /not publishing/);
  }
});

for (const ext of ['flv', 'mp4'] as const) {
  test(`${ext} over HTTP: headers, the cached keyframe at once, and ffmpeg decodes 50 frames cleanly`, async (ctx) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await timedGet(`/live/cam.${ext}`, ext);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], ext === 'flv' ? 'video/x-flv' : 'video/mp4');
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['content-length'], undefined);
      if (ext === 'mp4') assert.match(String(r.headers['x-codecs']), /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
      times.push(r.keyframeMs);
    }
    const head = await fetch(url(`/live/cam.${ext}`), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), ext === 'flv' ? 'video/x-flv' : 'video/mp4');
    times.sort((a, b) => a - b);
    ctx.diagnostic(`first keyframe bytes after ${times.map((x) => x.toFixed(1)).join(', ')} ms`);
    assert.ok(times[2] < 50, `median time to the first keyframe bytes ${times[2]} ms`);

    const ff = run('ffmpeg', ['-nostdin', '-v', 'error', '-i', url(`/live/cam.${ext}`), '-frames:v', '50', '-f', 'null', '-']);
    assert.equal(await ff.exited, 0, ff.stderr());
    assert.equal(ff.stderr().trim(), '');
  });
}

test('WebSocket: FLV header first, then tags; mp4 codecs text, then the init segment, then fragments', async () => {
  const flv = (await wsMessages('/live/cam.flv', 6)) as Buffer[];
  assert.equal(flv[0].length, 13);
  assert.equal(flv[0].toString('latin1', 0, 3), 'FLV');
  assert.equal(flv[0][4], 0x05, 'audio + video');
  assert.equal(flv[1][0], 18, 'onMetaData');
  assert.equal(flv[2][0], 9, 'AVC sequence header');
  assert.equal(flv[2][11], 0x17);
  assert.equal(flv[2][12], 0);
  assert.equal(flv[3][0], 8, 'AAC sequence header');
  for (const m of flv.slice(1)) assert.equal(m.length, 11 + m.readUIntBE(1, 3) + 4, 'one whole tag per message');
  const firstMedia = flv.slice(4).find((m) => m[0] === 9)!;
  assert.equal(firstMedia[11], 0x17, 'the first video tag is a keyframe');

  const mp4 = await wsMessages('/live/cam.mp4', 5);
  assert.match(mp4[0] as string, /^video\/mp4; codecs="avc1\./);
  const init = mp4[1] as Buffer;
  assert.equal(init.toString('latin1', 4, 8), 'ftyp');
  assert.ok(init.includes('moov', 0, 'latin1'));
  for (const m of mp4.slice(2) as Buffer[]) assert.equal(m.toString('latin1', 4, 8), 'moof', 'one fragment per message');
});

test('/api/cameras counts open viewers of every kind and drops back to 0 when they disconnect', async () => {
  await waitFor(async () => (await camera('cam')).viewers === 0, 'earlier viewers gone');
  const reqs = ['flv', 'mp4'].map((ext) => http.get(url(`/live/cam.${ext}`), (res) => res.resume()));
  const sockets = ['flv', 'mp4'].map((ext) => new WebSocket(url(`/live/cam.${ext}`, 'ws')));
  await waitFor(async () => (await camera('cam')).viewers === 4, '4 viewers');
  assert.equal((await camera('idle')).viewers, 0);
  reqs[0].destroy();
  sockets[0].close();
  await waitFor(async () => (await camera('cam')).viewers === 2, '2 viewers');
  reqs[1].destroy();
  sockets[1].terminate();
  await waitFor(async () => (await camera('cam')).viewers === 0, '0 viewers');
});

test('a publisher reconnect keeps a WebSocket-FLV viewer: new sequence headers in-stream, timestamps keep increasing', async () => {
  const first = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/again`, { seconds: 3, size: '320x240', gop: 25 });
  await waitFor(async () => (await camera('again')).live, 'again live');
  const ws = new WebSocket(url('/live/again.flv', 'ws'));
  const tags: Buffer[] = [];
  ws.on('message', (m: Buffer) => tags.push(m));
  assert.equal(await first.exited, 0, first.stderr());
  await waitFor(async () => !(await camera('again')).live, 'again offline');
  const second = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/again`, { seconds: 3, size: '480x270', gop: 25 });
  assert.equal(await second.exited, 0, second.stderr());
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(ws.readyState, WebSocket.OPEN, 'still connected');
  ws.close();
  const ts = (m: Buffer) => (m.readUIntBE(4, 3) | (m[7] << 24)) >>> 0;
  const video = tags.slice(1).filter((m) => m[0] === 9);
  const headers = video.filter((m) => m[12] === 0);
  assert.equal(headers.length, 2, 'sequence header at the start and after the reconnect');
  const frames = video.filter((m) => m[12] === 1).map(ts);
  assert.ok(frames.length > 100, `${frames.length} video tags`);
  assert.ok(frames.every((x, i) => i === 0 || x > frames[i - 1]), 'video timestamps increase across the reconnect');
  const at = video.indexOf(headers[1]);
  assert.equal(video[at + 1][11], 0x17, 'the new publisher starts on a keyframe');
  assert.ok(ts(video[at + 1]) - ts(video[at - 1]) <= 80, 'no gap in the output clock');
});

test('a stuck viewer (never reads) for 30 s: bounded memory, dropped, and the recording and other viewers unaffected', async (ctx) => {
  // ~8 Mbit/s, so the stuck socket fills the kernel buffers and the 4 MiB limit within seconds
  const seconds = 36;
  const slowPub = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '50', '-pix_fmt', 'yuv420p',
    '-b:v', '8M', '-minrate', '8M', '-maxrate', '8M', '-bufsize', '2M', '-x264-params', 'nal-hrd=cbr',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/slow`,
  ]);
  await waitFor(async () => (await camera('slow')).live, 'slow live');
  const published = Date.now();
  const stuck = net.connect(t.httpPort, '127.0.0.1');
  stuck.on('error', () => {});
  stuck.write('GET /live/slow.flv HTTP/1.1\r\nHost: x\r\n\r\n');
  stuck.pause(); // never read: the kernel buffers fill, then the server's socket buffer
  // a healthy viewer on the same camera keeps getting every frame
  const healthy = new WebSocket(url('/live/slow.flv', 'ws'));
  let healthyVideo = 0;
  healthy.on('message', (m: Buffer) => m[0] === 9 && m[12] === 1 && healthyVideo++);
  await waitFor(async () => (await camera('slow')).viewers === 2, 'two viewers');

  // a full GC before each sample: count the bytes held, not garbage not yet collected
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = process.memoryUsage();
  let maxRss = 0;
  let maxArrayBuffers = 0;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const m = process.memoryUsage();
    maxRss = Math.max(maxRss, m.rss - base.rss);
    maxArrayBuffers = Math.max(maxArrayBuffers, m.arrayBuffers - base.arrayBuffers);
  }
  ctx.diagnostic(`growth over 30 s: rss ${(maxRss / 2 ** 20).toFixed(1)} MiB, array buffers ${(maxArrayBuffers / 2 ** 20).toFixed(1)} MiB`);
  // ~30 MB was published meanwhile; unbounded queueing would hold all of it
  assert.ok(maxArrayBuffers < 20 * 2 ** 20, `array buffers grew by ${maxArrayBuffers} bytes`);
  // a sanity bound; array buffers are the measure (unbounded queueing: ~46 MiB of both here)
  assert.ok(maxRss < 64 * 2 ** 20, `rss grew by ${maxRss} bytes`);
  const dropped = t.logs.find((l) => l.msg === 'live viewer too slow, closing it' && l.camera === 'slow');
  assert.ok(dropped, 'the stuck viewer was closed with a log line');
  assert.ok((dropped.buffered as number) <= 4 * 2 ** 20 + 2 ** 20, `it held ${String(dropped.buffered)} bytes when dropped`);
  assert.equal((await camera('slow')).viewers, 1, 'only the healthy viewer is left');
  stuck.destroy();

  assert.equal(await slowPub.exited, 0, slowPub.stderr());
  const watchedSeconds = (Date.now() - published) / 1000;
  healthy.close();
  assert.ok(healthyVideo >= 25 * (watchedSeconds - 3), `the healthy viewer got ${healthyVideo} video frames in ${watchedSeconds} s`);
  const segs = await waitFor(async () => {
    const s = await t.get<{ startMs: number; endMs: number; open: boolean }[]>(`/api/cameras/slow/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
    return s.length > 0 && s.every((x) => !x.open) ? s : null;
  }, 'the closed segment');
  assert.equal(segs.length, 1);
  const recorded = (segs[0].endMs - segs[0].startMs) / 1000;
  assert.ok(Math.abs(recorded - seconds) <= 2, `recorded ${recorded} s of ${seconds} s published (GOP 2 s)`);
});
