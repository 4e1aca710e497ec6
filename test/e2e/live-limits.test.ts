/**
 * Live viewer limits from the `live` config section, over real sockets:
 * the viewer caps (HTTP-FLV, WebSocket, RTMP play and HLS counted together)
 * and the per-viewer backlog that drops a client that stops reading.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

/** AAC LC 44.1 kHz stereo sequence header; then "frames" of any bytes (nothing here decodes them) */
const aacConfig = Buffer.from([0xaf, 0x00, 0x12, 0x10]);
const aacFrame = (bytes: number) => Buffer.concat([Buffer.from([0xaf, 0x01]), Buffer.alloc(bytes, 7)]);

async function publisher(t: TestApp, camera: string): Promise<TestRtmpClient> {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish(camera), 'NetStream.Publish.Start');
  c.audio(0, aacConfig);
  c.audio(0, aacFrame(100));
  return c;
}

/**
 * An HTTP-FLV viewer; resolves once the status line is in. The body is locked
 * by a reader the viewer holds: undici cancels the body of a Response that is
 * garbage collected unread, which closed a viewer mid-test (seen in CI).
 */
async function httpViewer(t: TestApp, camera: string): Promise<{ status: number; body: string; headers: Headers; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${t.httpPort}/live/${camera}.flv`, { signal: abort.signal });
  if (res.status !== 200) return { status: res.status, body: await res.text(), headers: res.headers, close: () => {} };
  const reader = res.body!.getReader();
  return {
    status: res.status,
    body: '',
    headers: res.headers,
    close: () => {
      abort.abort();
      reader.cancel().catch(() => {});
    },
  };
}

async function rtmpPlayer(t: TestApp, name: string): Promise<{ client: TestRtmpClient; code: string }> {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  c.command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' });
  await c.waitCommand('_result');
  c.command(0, 'createStream', 2, null);
  await c.waitCommand('_result', 2);
  c.command(1, 'play', 3, null, name);
  const status = await c.waitCommand('onStatus');
  return { client: c, code: String((status.values[3] as Record<string, unknown>).code) };
}

describe('viewer caps', () => {
  let t: TestApp;
  const pubs: TestRtmpClient[] = [];
  before(async () => {
    t = await startTestApp({ live: { maxViewers: 3, maxViewersPerCamera: 2 }, cameras: [{ id: 'one', recording: { enabled: false } }, { id: 'two', recording: { enabled: false } }] });
    pubs.push(await publisher(t, 'one'), await publisher(t, 'two'));
  });
  after(async () => {
    for (const p of pubs) p.close();
    await t.stop();
  });

  test('the viewer past live.maxViewersPerCamera, then past live.maxViewers, gets 503 TOO_MANY_VIEWERS on every transport', async () => {
    const a = await httpViewer(t, 'one');
    const b = await httpViewer(t, 'one');
    assert.deepEqual([a.status, b.status], [200, 200]);

    // the third viewer of "one": HTTP, WebSocket, RTMP play
    const c = await httpViewer(t, 'one');
    assert.equal(c.status, 503);
    assert.equal(c.headers.get('retry-after'), '10');
    assert.deepEqual(JSON.parse(c.body), {
      error: { code: 'TOO_MANY_VIEWERS', message: 'camera "one" already has 2 live viewers, the most allowed (live.maxViewersPerCamera)' },
    });
    const ws = await new Promise<{ code: number; reason: string }>((resolve) => {
      const s = new WebSocket(`ws://127.0.0.1:${t.httpPort}/live/one.mp4`);
      s.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      s.on('error', () => {});
    });
    assert.equal(ws.code, 4503);
    assert.match(ws.reason, /live\.maxViewersPerCamera|TOO_MANY_VIEWERS/);
    const play = await rtmpPlayer(t, 'one');
    assert.equal(play.code, 'NetStream.Play.Failed');
    await play.client.waitClosed();

    // one viewer of "two" fills live.maxViewers (3): the next of "two" is refused, over HTTP and HLS
    const d = await httpViewer(t, 'two');
    assert.equal(d.status, 200);
    const e = await httpViewer(t, 'two');
    assert.equal(e.status, 503);
    assert.equal(JSON.parse(e.body).error.message, '3 live viewers already, the most this server allows (live.maxViewers)');
    const hls = await fetch(`http://127.0.0.1:${t.httpPort}/live/two/index.m3u8`);
    assert.equal(hls.status, 503);
    assert.equal(((await hls.json()) as { error: { code: string } }).error.code, 'TOO_MANY_VIEWERS');

    const refusals = t.logs.filter((l) => String(l.msg).startsWith('live viewer refused'));
    assert.deepEqual(
      refusals.map((l) => [l.camera, l.limit, l.transport]),
      [
        ['one', 'maxViewersPerCamera', 'http-flv'],
        ['one', 'maxViewersPerCamera', 'ws-mp4'],
        ['one', 'maxViewersPerCamera', 'rtmp-play'],
        ['two', 'maxViewers', 'http-flv'],
        ['two', 'maxViewers', 'hls'],
      ],
    );
    assert.ok(refusals.every((l) => l.level === 40));

    // a viewer leaving frees its slot
    a.close();
    const again = await waitFor(async () => {
      const v = await httpViewer(t, 'one');
      if (v.status === 200) return v;
      return null;
    }, 'a slot freed by a viewer that left');
    for (const v of [b, d, again]) v.close();
  });
});

describe('per-viewer backlog', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ live: { maxViewerBacklogBytes: 64 * 1024, maxViewerLagMs: 1000 }, cameras: [{ id: 'cam', recording: { enabled: false } }] });
  });
  after(() => t.stop());

  test('a viewer that stops reading is skipped, then closed after live.maxViewerLagMs, with a log line; the stream goes on', async () => {
    const pub = await publisher(t, 'cam');
    // a raw client that sends its request and never reads: the kernel buffers fill, then our backlog
    const sock = net.connect(t.httpPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`GET /live/cam.flv HTTP/1.1\r\nHost: x\r\n\r\n`);
    sock.pause();
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.on('error', () => {});
    let ts = 0;
    const feeder = setInterval(() => pub.audio((ts += 100), aacFrame(256 * 1024)), 100); // 2.5 MB/s
    try {
      const line = await waitFor(() => t.logs.find((l) => l.msg === 'live viewer too slow, closing it'), 'slow viewer closed', 30_000);
      assert.ok((line.buffered as number) > 64 * 1024, `backlog ${String(line.buffered)}`);
      assert.ok((line.behindMs as number) > 1000 && (line.behindMs as number) < 10_000, `behind ${String(line.behindMs)} ms`);
      sock.resume(); // a paused socket never sees the end: read what was sent, then the close
      await closed;
      assert.equal(t.app.hub.stream('cam')!.live, true);
    } finally {
      clearInterval(feeder);
      sock.destroy();
      pub.close();
    }
  });
});
