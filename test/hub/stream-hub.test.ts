import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { QueuedConsumer, type QueueItem } from '../../src/hub/queued-consumer.js';
import type { Publisher } from '../../src/hub/live-stream.js';
import type { StreamConsumer } from '../../src/hub/stream-consumer.js';
import { StreamHub } from '../../src/hub/stream-hub.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';

const log = pino({ level: 'silent' });

function makeHub(now = () => 0) {
  return new StreamHub({ cameras: [{ id: 'cam1', name: 'Cam 1' }, { id: 'cam2', name: 'Cam 2' }], staleTakeoverMs: 5000, log, now });
}

function publisher(id: number, lastActivity: () => number): Publisher & { closed: string | null } {
  return { id, peer: `10.0.0.${id}:1000`, lastActivity, closed: null, close(reason) { this.closed = reason; } };
}

const videoConfig: CodecConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f]),
  info: { codec: 'h264', width: 1280, height: 720, fps: 25, profile: 'High', level: 3.1, codecString: 'avc1.64001f' },
};

function frame(dts: number, keyframe: boolean, bytes = 1000): MediaFrame {
  return { track: 'video', codec: 'h264', dts, pts: dts, keyframe, payload: Buffer.alloc(bytes) };
}

function recorder(kind: StreamConsumer['kind'] = 'other') {
  const seen: string[] = [];
  const c: StreamConsumer = {
    kind,
    onConfig: (cfg) => seen.push(`config:${cfg.track}`),
    onMetadata: () => seen.push('metadata'),
    onFrame: (f) => seen.push(`frame:${f.dts}`),
    onPublishStart: () => seen.push('start'),
    onPublishEnd: (r) => seen.push(`end:${r}`),
  };
  return { c, seen };
}

test('unknown camera and a second live publisher are refused; the first keeps the stream', () => {
  let now = 0;
  const hub = makeHub(() => now);
  assert.deepEqual(hub.claim('nope', publisher(1, () => 0)).ok, false);
  const first = publisher(1, () => now);
  assert.equal(hub.claim('cam1', first).ok, true);
  now = 4000;
  const second = publisher(2, () => now);
  const r = hub.claim('cam1', second);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'ALREADY_PUBLISHING');
  assert.equal(hub.stream('cam1')!.publisher, first);
  assert.equal(first.closed, null);
});

test('a publisher silent for staleTakeoverMs is replaced and closed', () => {
  let now = 0;
  const hub = makeHub(() => now);
  const { c, seen } = recorder();
  hub.stream('cam1')!.attach(c);
  const first = publisher(1, () => 0);
  hub.claim('cam1', first);
  now = 5000;
  const second = publisher(2, () => now);
  assert.equal(hub.claim('cam1', second).ok, true);
  assert.equal(first.closed, 'replaced by a new publisher');
  assert.equal(hub.stream('cam1')!.publisher, second);
  // the old publisher's late release must not end the new one's stream
  hub.release('cam1', first, 'socket closed');
  assert.equal(hub.stream('cam1')!.live, true);
  assert.deepEqual(seen, ['start', 'end:replaced by a new publisher', 'start']);
});

test('a new consumer first receives the codec config and metadata', () => {
  const hub = makeHub();
  const s = hub.stream('cam1')!;
  hub.claim('cam1', publisher(1, () => 0));
  s.pushConfig(videoConfig);
  s.pushMetadata({ width: 1280 });
  s.pushFrame(frame(0, true));
  const { c, seen } = recorder();
  s.attach(c);
  s.pushFrame(frame(40, false));
  assert.deepEqual(seen, ['config:video', 'metadata', 'frame:40']);
});

test('a consumer that throws is detached; the others keep receiving', () => {
  const hub = makeHub();
  const s = hub.stream('cam1')!;
  const bad: StreamConsumer = { kind: 'viewer', onFrame: () => { throw new Error('boom'); } };
  const { c, seen } = recorder();
  s.attach(bad);
  s.attach(c);
  for (let i = 0; i < 3; i++) s.pushFrame(frame(i * 40, i === 0));
  assert.equal(s.consumerCount(), 1);
  assert.deepEqual(seen, ['frame:0', 'frame:40', 'frame:80']);
});

test('status reports codecs, size, fps and viewers per camera, in config order', () => {
  const hub = makeHub();
  hub.claim('cam1', publisher(1, () => 0));
  hub.stream('cam1')!.pushConfig(videoConfig);
  hub.stream('cam1')!.attach({ kind: 'viewer', onFrame() {} });
  const [c1, c2] = hub.list();
  assert.deepEqual(c1.video, { codec: 'h264', width: 1280, height: 720, fps: 25 });
  assert.equal(c1.live, true);
  assert.equal(c1.viewers, 1);
  assert.equal(c2.live, false);
  assert.equal(c2.video, null);
});

test('a stalled queued consumer never stalls the publisher or others, and its memory stays bounded', async () => {
  const hub = makeHub();
  const s = hub.stream('cam1')!;
  hub.claim('cam1', publisher(1, () => 0));
  const stalled = new QueuedConsumer(() => new Promise<void>(() => {}), { kind: 'recorder', maxQueuedBytes: 200_000 });
  const { c, seen } = recorder();
  s.attach(stalled);
  s.attach(c);
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) s.pushFrame(frame(i * 40, i % 50 === 0, 10_000));
  const ms = performance.now() - t0;
  assert.equal(seen.length, 10_000, 'the fast consumer got every frame');
  assert.ok(stalled.pendingBytes <= 200_000, `queued ${stalled.pendingBytes} bytes`);
  assert.ok(stalled.dropped > 9000);
  assert.ok(ms < 2000, `pushing took ${ms} ms`);
});

test('a queued consumer that falls behind resumes at the next keyframe, in order', async () => {
  const got: QueueItem[] = [];
  let release: () => void = () => {};
  let block = true;
  const q = new QueuedConsumer(
    async (item) => {
      got.push(item);
      if (block) await new Promise<void>((r) => (release = r));
    },
    { kind: 'recorder', maxQueuedBytes: 3000 },
  );
  q.onConfig(videoConfig);
  // first item blocks the sink; frames pile up past 3000 bytes and get dropped
  for (let i = 0; i < 10; i++) q.onFrame(frame(i * 40, i === 0 || i === 7));
  block = false;
  release();
  await new Promise((r) => setTimeout(r, 10));
  const frames = got.filter((i) => i.type === 'frame').map((i) => (i.type === 'frame' ? i.frame.dts : -1));
  assert.equal(got[0].type, 'config');
  // the backlog (0, 40, 80) goes with the frame that overflowed it; 120..240 wait for keyframe 280
  assert.deepEqual(frames, [280, 320, 360]);
  assert.equal(q.dropped, 7);
});
