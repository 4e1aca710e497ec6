import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MediaFrame } from '../../src/media/frame.js';
import { Segmenter, type SegmenterEvent } from '../../src/recording/segmenter.js';

const opts = { segmentMs: 3000, maxGapMs: 5000, maxDriftMs: 2000, maxSegmentMs: 60_000, videoWaitMs: 3000 };
const v = (dts: number, keyframe: boolean): MediaFrame => ({ track: 'video', codec: 'h264', dts, pts: dts, keyframe, payload: Buffer.alloc(1) });
const a = (dts: number): MediaFrame => ({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: Buffer.alloc(1) });

/** 25 fps video with a 1 s GOP from dts0, arriving on time from wall0 */
function feed(s: Segmenter, seconds: number, dts0 = 0, wall0 = 1_000_000, jitter = 0): SegmenterEvent[] {
  const out: SegmenterEvent[] = [];
  for (let i = 0; i < seconds * 25; i++) {
    const dts = dts0 + i * 40;
    out.push(...s.push(v(dts, i % 25 === 0), wall0 + i * 40 + (i % 3) * jitter));
  }
  return out;
}

const summary = (ev: SegmenterEvent[]) =>
  ev.filter((e) => e.type !== 'frame').map((e) => (e.type === 'open' ? `open@${e.startMs}` : `close@${e.endMs}:${e.reason}`));

test('segments start on keyframes, cut at the first keyframe after segmentMs, and are contiguous', () => {
  const s = new Segmenter(opts);
  const ev = [...feed(s, 10, 0, 1_000_000, 15), ...s.finish('publish-ended')];
  assert.deepEqual(summary(ev), [
    'open@1000000', 'close@1003000:duration', 'open@1003000', 'close@1006000:duration', 'open@1006000',
    'close@1009000:duration', 'open@1009000', 'close@1010000:publish-ended',
  ]);
  // every frame has its wall time from the anchor, not its jittery arrival
  const frames = ev.filter((e) => e.type === 'frame');
  assert.equal(frames.length, 250);
  assert.ok(frames.every((e) => e.type === 'frame' && e.wallMs === 1_000_000 + e.frame.dts));
});

test('frames before the first keyframe are dropped; audio before video waits for it', () => {
  const s = new Segmenter(opts);
  const ev = [...s.push(a(0), 1000), ...s.push(v(10, false), 1010), ...s.push(a(23), 1023), ...s.push(v(50, true), 1050), ...s.push(a(46), 1060)];
  assert.deepEqual(summary(ev), ['open@1050']);
  assert.deepEqual(ev.filter((e) => e.type === 'frame').map((e) => (e.type === 'frame' ? `${e.frame.track}${e.frame.dts}@${e.wallMs}` : '')), ['video50@1050', 'audio46@1046']);
});

test('a camera that stalls (no frames for longer than maxGapMs) leaves a gap, never a stretched segment', () => {
  const s = new Segmenter(opts);
  const ev = [...feed(s, 2, 0, 1_000_000), ...feed(s, 2, 2000, 1_010_000), ...s.finish('publish-ended')];
  assert.deepEqual(summary(ev), ['open@1000000', 'close@1002000:gap', 'open@1010000', 'close@1012000:publish-ended']);
});

test('a publisher clock reset (dts backwards) ends the run; the next keyframe starts a new one', () => {
  const s = new Segmenter(opts);
  const ev = [...feed(s, 2, 500_000, 1_000_000), ...feed(s, 1, 0, 1_002_000), ...s.finish('x')];
  assert.deepEqual(summary(ev), ['open@1000000', 'close@1002000:timestamp-jump', 'open@1002000', 'close@1003000:x']);
});

test('a dts jump forward within a steady arrival is a timestamp jump, not 5 minutes of footage', () => {
  const s = new Segmenter(opts);
  const ev = [...feed(s, 2, 0, 1_000_000), ...feed(s, 2, 300_000, 1_002_000), ...s.finish('x')];
  assert.deepEqual(summary(ev), ['open@1000000', 'close@1002000:timestamp-jump', 'open@1002000', 'close@1004000:x']);
});

test('clock drift beyond maxDriftMs re-anchors at a keyframe', () => {
  const s = new Segmenter({ ...opts, segmentMs: 60_000 });
  const out: SegmenterEvent[] = [];
  // a camera clock running far fast (40 ms of media per 25 ms of wall time) drifts past 2 s within seconds
  for (let i = 0; i < 250; i++) out.push(...s.push(v(i * 40, i % 25 === 0), 1_000_000 + i * 25));
  const ev = summary(out);
  assert.equal(ev[0], 'open@1000000');
  assert.ok(ev.some((e) => e.endsWith(':drift')), ev.join(' '));
  const reopened = out.filter((e) => e.type === 'open');
  assert.ok(reopened.length >= 2);
  // after a re-anchor, wall time equals arrival time at that keyframe
  const second = reopened[1];
  assert.ok(second.type === 'open' && second.startMs % 25 === 0);
});

test('without video for videoWaitMs a stream is recorded as audio only', () => {
  const s = new Segmenter(opts);
  const ev: SegmenterEvent[] = [];
  for (let i = 0; i < 300; i++) ev.push(...s.push(a(i * 23), 5000 + i * 23));
  ev.push(...s.finish('x'));
  const opened = ev.filter((e) => e.type === 'open');
  assert.equal(opened.length, 2); // at ~3 s, then one duration cut
  assert.ok(ev.filter((e) => e.type === 'frame').length > 150);
});

test('a config change closes the segment; the next keyframe opens a contiguous one', () => {
  const s = new Segmenter(opts);
  const ev = [...feed(s, 1, 0, 1_000_000), ...s.cutAtNextKeyframe('config-change'), ...feed(s, 1, 1000, 1_001_000), ...s.finish('x')];
  assert.deepEqual(summary(ev), ['open@1000000', 'close@1001000:config-change', 'open@1001000', 'close@1002000:x']);
});
