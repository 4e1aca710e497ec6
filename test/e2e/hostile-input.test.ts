/**
 * Throws hostile bytes at a running server while a real ffmpeg publishes, and
 * checks that each bad connection is logged and closed, the process survives,
 * and the publisher's stream reaches the hub byte for byte as ffmpeg sent it
 * (ffmpeg's tee muxer writes the same packets to a local FLV file).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MediaFrame } from '../../src/media/frame.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import { encodeAmf0 } from '../../src/rtmp/amf0.js';
import { ChunkWriter } from '../../src/rtmp/chunk-writer.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { flvTags } from '../media/flv-file.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { run, waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

let t: TestApp;
const tmp = mkdtempSync(join(tmpdir(), 'nvr-hostile-'));

before(async () => {
  t = await startTestApp({
    rtmp: {
      port: 0,
      host: '127.0.0.1',
      limits: { handshakeTimeoutMs: 1000, idleTimeoutMs: 2500, maxMessageBytes: 4 * 1024 * 1024, maxChunkSize: 1024 * 1024, maxConnectionsPerAddress: 24 },
    },
    cameras: [{ id: 'cam1' }, { id: 'victim' }],
  });
});
after(async () => {
  await t.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Opens a raw socket, completes a handshake unless told not to, writes the payload, waits for the server to close. */
async function attack(payload: Buffer | null, opts: { handshake?: boolean } = {}): Promise<number> {
  const started = Date.now();
  const sock = net.connect(t.rtmpPort, '127.0.0.1');
  sock.on('error', () => {});
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  await new Promise((r) => sock.once('connect', r));
  if (opts.handshake !== false) {
    const hs = new ClientHandshake();
    sock.write(hs.start());
    await new Promise<void>((resolve) => {
      sock.on('data', function onData(d) {
        const step = hs.feed(d);
        for (const b of step.send) sock.write(b);
        if (step.done) {
          sock.off('data', onData);
          resolve();
        }
      });
    });
  }
  if (payload) sock.write(payload);
  const timer = setTimeout(() => sock.destroy(), 10_000);
  await closed;
  clearTimeout(timer);
  return Date.now() - started;
}

const w = () => new ChunkWriter();
const msg = (type: number, body: Buffer, csid = 3) => Buffer.concat(w().write({ csid, type, streamId: 0, timestamp: 0, body }));
const connectCmd = msg(20, encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' }));
/** "connect", 1, then objects nested `depth` deep: {a: {a: {...}}} (marker 03, key length 0001, key "a") */
const nested = (depth: number) => Buffer.concat([encodeAmf0('connect', 1), Buffer.alloc(depth * 4, Buffer.from([0x03, 0x00, 0x01, 0x61]))]);

const CASES: { name: string; code: string | null; run: () => Promise<number> }[] = [
  { name: 'C0 version 6 (RTMPE)', code: 'HANDSHAKE_VERSION', run: () => attack(Buffer.from([6, ...randomBytes(1536)]), { handshake: false }) },
  { name: 'HTTP request on the RTMP port', code: 'HANDSHAKE_VERSION', run: () => attack(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), { handshake: false }) },
  { name: 'silent in the handshake', code: null, run: () => attack(Buffer.from([3]), { handshake: false }) },
  { name: 'idle after the handshake', code: null, run: () => attack(null) },
  { name: 'Set Chunk Size 0', code: 'CHUNK_SIZE_INVALID', run: () => attack(msg(1, Buffer.from([0, 0, 0, 0]), 2)) },
  { name: 'Set Chunk Size above the cap', code: 'CHUNK_SIZE_LIMIT', run: () => attack(msg(1, Buffer.from([0x01, 0, 0, 0]), 2)) },
  // Acknowledgements (type 3, ignored) on csids 3, 4, ...: the 65th distinct one passes maxChunkStreams (64)
  { name: 'more chunk streams than the cap', code: 'CHUNK_STREAM_LIMIT', run: () => attack(Buffer.concat(Array.from({ length: 80 }, (_, i) => msg(3, Buffer.alloc(4), 3 + i)))) },
  { name: 'message length above the cap', code: 'MESSAGE_TOO_LARGE', run: () => attack(Buffer.from('03000000ffffff0901000000', 'hex')) },
  { name: 'type-1 chunk with no previous header', code: 'CHUNK_NO_PREVIOUS_HEADER', run: () => attack(Buffer.from('4300000000001008', 'hex')) },
  { name: 'type-3 chunk with no previous header', code: 'CHUNK_NO_PREVIOUS_HEADER', run: () => attack(Buffer.from([0xc5, 1, 2, 3])) },
  { name: 'unknown message type', code: 'MESSAGE_TYPE_UNSUPPORTED', run: () => attack(Buffer.concat([connectCmd, msg(0x7f, Buffer.alloc(10))])) },
  { name: 'deeply nested AMF', code: 'AMF_LIMIT', run: () => attack(msg(20, nested(5000))) },
  { name: 'AMF string declaring 4 GiB', code: 'AMF_TRUNCATED', run: () => attack(msg(20, Buffer.from('0cffffffff41', 'hex'))) },
  { name: 'publish before connect', code: 'COMMAND_BEFORE_CONNECT', run: () => attack(msg(20, encodeAmf0('publish', 2, null, 'cam1', 'live'))) },
  { name: 'random bytes after the handshake', code: null, run: () => attack(randomBytes(4096)) },
  { name: 'random bytes after connect', code: null, run: () => attack(Buffer.concat([connectCmd, randomBytes(8192)])) },
];

test('hostile connections are logged and closed while a real publisher streams untouched', async () => {
  const recorded: MediaFrame[] = [];
  t.app.hub.stream('cam1')!.attach({ kind: 'other', onFrame: (f) => recorded.push(f) });
  const file = join(tmp, 'sent.flv');
  const pub = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
    '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-c:a', 'aac', '-map', '0:v', '-map', '1:a',
    '-f', 'tee', `[f=flv]rtmp\\://127.0.0.1\\:${t.rtmpPort}/live/cam1|[f=flv]${file}`,
  ]);
  await waitFor(() => recorded.length > 10, 'publisher frames');

  // a connection flood from one address: beyond maxConnectionsPerAddress sockets are refused
  const flood = await Promise.all(Array.from({ length: 30 }, () => new Promise<net.Socket>((r) => { const s = net.connect(t.rtmpPort, '127.0.0.1', () => r(s)); s.on('error', () => {}); })));
  await waitFor(() => t.logs.some((l) => l.limit === 'maxConnectionsPerAddress'), 'per-address refusal');
  for (const s of flood) s.destroy();
  await new Promise((r) => setTimeout(r, 500)); // let the server see the closes

  for (const c of CASES) {
    const ms = await c.run();
    assert.ok(ms < 6000, `${c.name}: closed after ${ms} ms`);
    if (c.code) assert.ok(t.logs.some((l) => l.code === c.code), `${c.name}: no log line with code ${c.code}`);
  }
  assert.ok(t.logs.some((l) => String(l.msg).includes('closing RTMP connection')));

  assert.equal(await pub.exited, 0, pub.stderr());
  // everything ffmpeg sent reached the hub, in order, unchanged
  const demux = new FlvDemuxer();
  const sent: MediaFrame[] = [];
  for (const tag of flvTags(readFileSync(file))) {
    if (tag.type !== 8 && tag.type !== 9) continue;
    for (const out of demux.push(tag.type === 8 ? 'audio' : 'video', tag.timestamp, tag.body)) if (out.type === 'frame') sent.push(out.frame);
  }
  await waitFor(() => recorded.length >= sent.length, 'all frames delivered', 3000).catch(() => {});
  assert.ok(sent.length > 500, `ffmpeg sent ${sent.length} frames`);
  assert.equal(recorded.length, sent.length);
  for (let i = 0; i < sent.length; i++) {
    const [a, b] = [recorded[i], sent[i]];
    assert.ok(a.track === b.track && a.dts === b.dts && a.pts === b.pts && a.keyframe === b.keyframe && a.payload.equals(b.payload), `frame ${i} differs`);
  }
});

test('the server still accepts publishers after the abuse', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('victim'), 'NetStream.Publish.Start');
  c.close();
});
