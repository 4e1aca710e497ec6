/**
 * Fmp4Fragmenter with synthetic streams: cut points, keyframe alignment,
 * timing (90 kHz video, sample-count audio with re-anchoring), clock resets,
 * and that inputs are referenced, never modified. Output is read back with
 * our own reader (real-media checks against ffmpeg are in ffmpeg-roundtrip).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioFrame, CodecConfig, MediaFrame, VideoFrame } from '../../src/media/frame.js';
import { Fmp4Fragmenter, type Fragment, type FragmenterOptions } from '../../src/mp4/fragmenter.js';
import { isSync, parseMoof, readBoxHeader, scanFragments, type MoofTraf } from '../../src/mp4/mp4-reader.js';
import { AAC_CONFIG, H264_CONFIG, pcmaConfig } from '../helpers/codec-configs.js';

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

const VIDEO = H264_CONFIG;
const AAC = AAC_CONFIG;
const PCMA_STEREO = pcmaConfig(2);

let counter = 0;
function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  b.writeUInt32BE(n - 4, 0);
  b.writeUInt32BE(++counter, 4 % Math.max(n - 3, 1));
  return b;
}

function video(count: number, opts: { start?: number; step?: number; gop?: number } = {}): VideoFrame[] {
  const { start = 0, step = 40, gop = 50 } = opts;
  return Array.from({ length: count }, (_, i) => ({
    track: 'video', codec: 'h264', dts: start + i * step, pts: start + i * step + (i % gop === 0 ? 0 : 80), keyframe: i % gop === 0, payload: payload(40 + (i % 7)),
  }));
}

function aac(count: number, start = 0): AudioFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const dts = start + Math.round((i * 1024 * 1000) / 44100);
    return { track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: payload(12 + (i % 5)) };
  });
}

/** merge by dts, video first on ties, as RTMP interleaves */
function interleave(...tracks: MediaFrame[][]): MediaFrame[] {
  return tracks.flat().sort((a, b) => a.dts - b.dts || (a.track === 'video' ? -1 : 1));
}

function run(opts: FragmenterOptions, frames: MediaFrame[]) {
  const m = new Fmp4Fragmenter(opts);
  const fragments: Fragment[] = [...frames.flatMap((f) => m.push(f)), ...m.flush()];
  const file = Buffer.concat([m.initSegment(), ...fragments.flatMap((f) => f.parts)]);
  const scan = scanFragments(file);
  assert.equal(scan.error, undefined);
  assert.equal(scan.validEnd, file.length);
  const tracks = scan.init!.tracks;
  const moofs = scan.fragments.map((f) => parseMoof(file, readBoxHeader(file, f.offset)!, 0, tracks));
  /** every sample of a track across fragments, with its absolute decode time in ticks */
  const samples = (id: number) =>
    moofs.flatMap((p) => p.trafs.filter((t) => t.track.id === id).flatMap((t: MoofTraf) => {
      let at = t.baseDecodeTime;
      return t.samples.map((s) => ({ ...s, dts: (at += s.duration) - s.duration, sync: isSync(s.flags) }));
    }));
  return { m, fragments, file, scan, moofs, samples };
}

test('fragments of about fragmentMs: cut at the first video frame 1000 ms after the start; audio split at the cut', () => {
  const { fragments, samples, moofs } = run({ video: VIDEO, audio: AAC, fragmentMs: 1000, timeBase: 0 }, interleave(video(250), aac(431)));
  assert.equal(fragments.length, 10);
  fragments.forEach((f, i) => {
    assert.equal(f.sequence, i + 1);
    assert.equal(f.keyframe, i % 2 === 0, 'GOP of 2 s: every other fragment starts on a keyframe');
    const videoTraf = moofs[i].trafs.find((t) => t.track.handler === 'vide')!;
    assert.equal(videoTraf.baseDecodeTime, i * 90000, 'video cut every 1000 ms exactly');
    assert.equal(videoTraf.samples.length, 25);
    const audioTraf = moofs[i].trafs.find((t) => t.track.handler === 'soun')!;
    const audioStart = (audioTraf.baseDecodeTime * 1000) / 44100;
    assert.ok(audioStart >= i * 1000 - 1024 / 44.1 && audioStart < i * 1000 + 1024 / 44.1, `audio starts near the cut: ${audioStart}`);
    assert.ok(f.endDts - f.startDts >= 1000 - 24 && f.endDts - f.startDts <= 1024, `${f.startDts}..${f.endDts}`);
  });
  // decode times continue exactly from fragment to fragment; audio durations are sample counts
  const v = samples(1);
  const a = samples(2);
  assert.equal(v.length, 250);
  assert.equal(a.length, 431);
  v.forEach((s, i) => assert.deepEqual([s.dts, s.duration, s.sync], [i * 3600, 3600, i % 50 === 0]));
  a.forEach((s, i) => assert.deepEqual([s.dts, s.duration, s.sync], [i * 1024, 1024, true]));
  assert.ok(v.some((s) => s.compositionOffset === 7200));
});

test('keyframeAligned: every fragment starts on a keyframe, cut only before one', () => {
  const frames = interleave(video(300, { gop: 37 }), aac(500));
  const { fragments, moofs } = run({ video: VIDEO, audio: AAC, fragmentMs: 1000, keyframeAligned: true, timeBase: 0 }, frames);
  assert.equal(fragments.length, Math.ceil(300 / 37));
  fragments.forEach((f, i) => {
    assert.ok(f.keyframe);
    const v = moofs[i].trafs.find((t) => t.track.handler === 'vide')!;
    assert.ok(isSync(v.samples[0].flags));
    assert.equal(v.baseDecodeTime, i * 37 * 3600);
  });
  // without alignment the same stream is cut every second, mid-GOP
  const plain = run({ video: VIDEO, audio: AAC, fragmentMs: 1000, timeBase: 0 }, frames);
  assert.ok(plain.fragments.some((f) => !f.keyframe));
});

test('a backwards dts jump (publisher clock reset) is clamped: monotone decode times, then a keyframe starts a fragment', () => {
  const before = video(60, { gop: 50 });
  const after = video(60, { gop: 30, start: 500 }); // the clock restarts at 500 ms, with a keyframe
  const { m, fragments, samples, moofs } = run({ video: VIDEO, audio: AAC, fragmentMs: 1000, timeBase: 0 }, interleave(before, aac(100)).concat(interleave(after, aac(100, 500))));
  assert.equal(m.stats.clampedJumps, 2, 'one per track');
  const v = samples(1);
  const a = samples(2);
  assert.equal(v.length, 120);
  for (const list of [v, a]) {
    for (let i = 1; i < list.length; i++) assert.ok(list[i].dts > list[i - 1].dts && list[i - 1].duration > 0, `sample ${i}`);
  }
  // the reset frame continues one frame interval after the last one
  assert.equal(v[60].dts, 60 * 3600);
  const cutAt = moofs.findIndex((p) => p.trafs.some((t) => t.track.handler === 'vide' && t.baseDecodeTime === 60 * 3600));
  assert.ok(cutAt > 0 && fragments[cutAt].keyframe, 'the first keyframe after the jump starts a fragment');
  // the last audio frame before the jump (dts 2299) was still held back: it opens the new fragment
  assert.equal(fragments[cutAt].startDts, 2299);
});

test('inputs are referenced, never modified; parts hold the payload Buffers themselves', () => {
  const frames = interleave(video(80), aac(130));
  const copies = frames.map((f) => Buffer.from(f.payload));
  const snapshot = JSON.stringify(frames.map(({ payload: _, ...rest }) => rest));
  const { fragments } = run({ video: VIDEO, audio: AAC, fragmentMs: 1000 }, frames);
  frames.forEach((f, i) => assert.deepEqual(f.payload, copies[i]));
  assert.equal(JSON.stringify(frames.map(({ payload: _, ...rest }) => rest)), snapshot);
  const parts = new Set(fragments.flatMap((f) => f.parts));
  assert.ok(frames.every((f) => parts.has(f.payload)));
  assert.equal(fragments.reduce((n, f) => n + f.byteLength, 0), fragments.flatMap((f) => f.parts).reduce((n, p) => n + p.length, 0));
});

test('audio: sample-count clock absorbs ms jitter; a gap re-anchors it on the frame dts', () => {
  const frames = aac(200);
  const gap = aac(100, frames[199].dts + 523).map((f) => f); // 500 ms missing
  const { m, samples, fragments } = run({ audio: AAC, fragmentMs: 1000, timeBase: 0 }, [...frames, ...gap]);
  const a = samples(2);
  assert.equal(m.stats.audioReanchors, 1);
  // the sample before the gap lasts until the first one after it, which sits exactly at its dts
  assert.equal(a[200].dts, Math.round((gap[0].dts * 44100) / 1000));
  assert.equal(a[199].dts + a[199].duration, a[200].dts);
  assert.ok(a[199].duration > 22000);
  a.forEach((s, i) => i !== 199 && assert.equal(s.duration, 1024));
  assert.ok(fragments.every((f) => f.keyframe), 'audio-only fragments are always sync');
});

test('G.711: duration = payload bytes / channels at 8 kHz', () => {
  const frames: AudioFrame[] = [320, 640, 320, 160].map((n, i) => ({ track: 'audio', codec: 'pcma', dts: [0, 20, 60, 80][i], pts: 0, keyframe: true, payload: Buffer.alloc(n, 0xd5) }));
  frames.forEach((f) => (f.pts = f.dts));
  const { samples } = run({ audio: PCMA_STEREO, fragmentMs: 1000, timeBase: 0 }, frames);
  assert.deepEqual(samples(2).map((s) => [s.dts, s.duration, s.size]), [[0, 160, 320], [160, 320, 640], [480, 160, 320], [640, 80, 160]]);
});

test('leading non-keyframes are dropped, foreign tracks ignored; flush estimates the last durations', () => {
  const frames = video(10, { gop: 5 }).slice(2); // starts mid-GOP: frames 2, 3, 4 are undecodable
  const { m, samples } = run({ video: VIDEO, fragmentMs: 1000 }, [...frames, ...aac(3)]);
  assert.deepEqual(m.stats, { droppedBeforeKeyframe: 3, ignored: 3, clampedJumps: 0, audioReanchors: 0 });
  const v = samples(1);
  assert.equal(v.length, 5);
  assert.ok(v[0].sync);
  assert.equal(v[0].dts, 0, 'default timeBase: the first frame kept');
  assert.equal(v[4].duration, 3600, 'last duration = the previous one');
  const single = run({ video: VIDEO, fragmentMs: 1000 }, video(1));
  assert.equal(single.samples(1)[0].duration, 3600, 'a lone frame lasts 1/fps');
});

test('timeBase, sequenceStart and track ids; decode times past 2^32 ticks use the 64-bit tfdt', () => {
  const start = 14 * 3600_000; // 14 h: 4.5e9 ticks at 90 kHz, past the 32-bit wrap at 13 h 15 m
  const { fragments, moofs, scan } = run(
    { video: VIDEO, audio: AAC, fragmentMs: 1000, timeBase: 0, sequenceStart: 41, videoTrackId: 7, audioTrackId: 3 },
    interleave(video(100, { start: start + 200000 }), aac(150, start + 200000)),
  );
  assert.deepEqual(scan.init!.tracks.map((t) => [t.id, t.handler, t.timescale, t.codec]), [[7, 'vide', 90000, 'avc1'], [3, 'soun', 44100, 'mp4a']]);
  assert.deepEqual(fragments.map((f) => f.sequence), [41, 42, 43, 44]);
  const v0 = moofs[0].trafs.find((t) => t.track.id === 7)!;
  assert.ok(v0.baseDecodeTime > 2 ** 32);
  assert.equal(v0.baseDecodeTime, (start + 200000) * 90);
  assert.equal(scan.fragments[0].firstDts, fragments[0].startDts);

  // frames before timeBase are shifted up to it rather than going negative
  const early = run({ video: VIDEO, fragmentMs: 1000, timeBase: 1000 }, video(10, { start: 800 }));
  assert.deepEqual(early.samples(1).slice(0, 2).map((s) => s.dts), [0, 3600]);
  assert.equal(early.fragments[0].startDts, 1000);
});

test('options are checked', () => {
  assert.throws(() => new Fmp4Fragmenter({ fragmentMs: 1000 }), RangeError);
  assert.throws(() => new Fmp4Fragmenter({ video: VIDEO, fragmentMs: 0 }), RangeError);
  assert.throws(() => new Fmp4Fragmenter({ video: VIDEO, audio: AAC, fragmentMs: 1000, videoTrackId: 2 }).initSegment(), RangeError);
});

test('audio before the first video keyframe: video stays the cutting track; those fragments are still start points', () => {
  const frames = interleave(aac(200), video(100, { start: 2000, gop: 25 }));
  const { fragments, scan } = run({ video: VIDEO, audio: AAC, fragmentMs: 1000, keyframeAligned: true, timeBase: 0 }, frames);
  assert.equal(fragments[0].startDts, 0);
  assert.ok(fragments.every((f) => f.keyframe));
  assert.deepEqual(scan.fragments.map((f) => f.keyframe), fragments.map((f) => f.keyframe));
  // no cut before video: the first fragment runs up to the first keyframe at 2000 ms
  assert.ok(fragments[0].endDts <= 2000 + 24 && fragments[1].startDts >= 1976, `${fragments[0].endDts} ${fragments[1].startDts}`);
  assert.equal(fragments.length, 5);
});
