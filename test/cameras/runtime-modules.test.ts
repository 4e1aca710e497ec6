/** The module pieces that make runtime camera changes safe: hub add/remove, the segmenter's cut on new settings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Publisher } from '../../src/hub/live-stream.js';
import type { StreamConsumer } from '../../src/hub/stream-consumer.js';
import { StreamHub } from '../../src/hub/stream-hub.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { Segmenter, type SegmenterEvent } from '../../src/recording/segmenter.js';

const log = pino({ level: 'silent' });
const v = (dts: number, keyframe: boolean): MediaFrame => ({ track: 'video', codec: 'h264', dts, pts: dts, keyframe, payload: Buffer.alloc(1) });
const videoConfig: CodecConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f]),
  info: { codec: 'h264', width: 1280, height: 720, fps: 25, profile: 'High', level: 3.1, codecString: 'avc1.64001f' },
};

function publisher(id: number): Publisher & { closed: string | null } {
  return {
    id,
    peer: `10.0.0.${id}:1000`,
    lastActivity: () => 0,
    closed: null,
    close(reason) {
      this.closed = reason;
    },
  };
}

function consumer(seen: string[], kind: StreamConsumer['kind'] = 'viewer'): StreamConsumer {
  return {
    kind,
    onConfig: (c) => seen.push(`config:${c.track}`),
    onFrame: (f) => seen.push(`frame:${f.dts}`),
    onPublishStart: () => seen.push('start'),
    onPublishEnd: (r) => seen.push(`end:${r}`),
    onStreamClosed: (r) => seen.push(`closed:${r}`),
  };
}

test('hub: a camera added at runtime can be published; removing it ends the publish, closes its consumers and leaves the others alone', () => {
  const hub = new StreamHub({ cameras: [{ id: 'keep', name: 'Keep' }], staleTakeoverMs: 5000, log, now: () => 0 });
  hub.add({ id: 'new', name: 'New' });
  assert.deepEqual(
    hub.list().map((c) => c.id),
    ['keep', 'new'],
  );
  const keepPub = publisher(1);
  const newPub = publisher(2);
  assert.ok(hub.claim('keep', keepPub).ok);
  assert.ok(hub.claim('new', newPub).ok);
  const seenNew: string[] = [];
  const seenKeep: string[] = [];
  hub.stream('new')!.attach(consumer(seenNew));
  hub.stream('keep')!.attach(consumer(seenKeep));
  hub.stream('new')!.pushConfig(videoConfig);
  hub.stream('new')!.pushFrame(v(0, true));

  hub.rename('new', 'Renamed');
  assert.equal(hub.statusOf('new')!.name, 'Renamed');

  hub.remove('new', 'camera removed');
  assert.equal(newPub.closed, 'camera removed');
  assert.deepEqual(seenNew, ['config:video', 'frame:0', 'end:camera removed', 'closed:camera removed']);
  assert.equal(hub.stream('new'), undefined);
  assert.equal(hub.statusOf('new'), undefined);
  const again = hub.claim('new', publisher(3));
  assert.ok(!again.ok && again.code === 'UNKNOWN_CAMERA');
  // the other camera: still published, its consumer heard nothing
  assert.equal(keepPub.closed, null);
  assert.equal(hub.stream('keep')!.publisher, keepPub);
  assert.deepEqual(seenKeep, []);
  hub.stream('keep')!.pushFrame(v(40, false));
  assert.deepEqual(seenKeep, ['frame:40']);
});

test('hub: a consumer attached with joinLive to a live stream hears the start it missed, then the configs', () => {
  const hub = new StreamHub({ cameras: [{ id: 'c', name: 'C' }], staleTakeoverMs: 5000, log });
  hub.claim('c', publisher(1));
  hub.stream('c')!.pushConfig(videoConfig);
  const seen: string[] = [];
  hub.stream('c')!.attach(consumer(seen, 'motion'), { joinLive: true });
  const idle: string[] = [];
  hub.stream('c')!.attach(consumer(idle, 'motion'));
  assert.deepEqual(seen, ['start', 'config:video']);
  assert.deepEqual(idle, ['config:video']);
});

test('hub: disconnect ends the current publish only when there is one', () => {
  const hub = new StreamHub({ cameras: [{ id: 'c', name: 'C' }], staleTakeoverMs: 5000, log });
  assert.equal(hub.disconnect('c', 'stream key changed'), false);
  const p = publisher(1);
  hub.claim('c', p);
  assert.equal(hub.disconnect('c', 'stream key changed'), true);
  assert.equal(p.closed, 'stream key changed');
  assert.equal(hub.stream('c')!.live, false);
});

const summary = (ev: SegmenterEvent[]) =>
  ev.filter((e) => e.type !== 'frame').map((e) => (e.type === 'open' ? `open@${e.startMs}` : `close@${e.endMs}:${e.reason}`));

test('segmenter: new settings cut at the next keyframe, contiguous and without dropping a frame; the new length applies', () => {
  const s = new Segmenter({ segmentMs: 60_000, maxGapMs: 5000, maxDriftMs: 2000, maxSegmentMs: 3_600_000, videoWaitMs: 3000 });
  const wall0 = 1_000_000;
  const ev: SegmenterEvent[] = [];
  // 25 fps, keyframe every second; settings change at 1.5 s, segment length 2 s from then
  for (let i = 0; i < 25 * 6; i++) {
    if (i === 37) {
      s.setSegmentMs(2000);
      s.cutAtNextStart('settings-changed');
    }
    ev.push(...s.push(v(i * 40, i % 25 === 0), wall0 + i * 40));
  }
  ev.push(...s.finish('publish-ended'));
  assert.deepEqual(summary(ev), [
    'open@1000000',
    'close@1002000:settings-changed',
    'open@1002000',
    'close@1004000:duration',
    'open@1004000',
    'close@1006000:publish-ended',
  ]);
  assert.equal(ev.filter((e) => e.type === 'frame').length, 150, 'every frame written');
  // without an open segment there is nothing to cut: the next segment starts normally
  const idle = new Segmenter({ segmentMs: 3000, maxGapMs: 5000, maxDriftMs: 2000, maxSegmentMs: 3_600_000, videoWaitMs: 3000 });
  idle.cutAtNextStart('settings-changed');
  assert.deepEqual(summary([...idle.push(v(0, true), 5000), ...idle.push(v(1000, true), 6000)]), ['open@5000']);
});
