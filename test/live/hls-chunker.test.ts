/** CmafChunker: parts every ~200 ms, segments cut on keyframes, timing, what is dropped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CmafChunker, type Chunk, type ChunkerOptions } from '../../src/live/hls/cmaf-chunker.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { AAC, VIDEO, aac, interleave, pcma, readBack, video } from './hls-fixtures.js';

function chunk(opts: Partial<ChunkerOptions>, frames: MediaFrame[]) {
  const c = new CmafChunker({ video: VIDEO, audio: AAC, partMs: 200, segmentMs: 1000, maxSegmentMs: 10_000, ...opts });
  const chunks: Chunk[] = [...frames.flatMap((f) => c.push(f)), ...c.flush()];
  const back = readBack(c.initSegment(), chunks.map((x) => x.data));
  /** segments as lists of part durations */
  const segments: number[][] = [];
  for (const x of chunks) {
    if (x.segmentStart) segments.push([]);
    segments[segments.length - 1].push(Math.round(x.durationMs));
  }
  return { c, chunks, segments, ...back };
}

test('1 s GOP: a segment per GOP, five 200 ms parts each; every segment starts on a keyframe', () => {
  const { chunks, segments, traf, firstSync } = chunk({}, interleave(video(125), aac(216)));
  assert.deepEqual(segments, Array(5).fill([200, 200, 200, 200, 200]));
  chunks.forEach((x, i) => {
    assert.equal(x.segmentStart, i % 5 === 0);
    assert.equal(x.segmentEnd, i % 5 === 4);
    assert.equal(x.independent, i % 5 === 0);
    assert.equal(firstSync(i), i % 5 === 0);
    // exact 90 kHz decode times: part i starts at i * 200 ms
    assert.equal(traf(i, 'vide')!.baseDecodeTime, i * 200 * 90);
    assert.equal(traf(i, 'vide')!.samples.length, 5);
    assert.ok(traf(i, 'soun')!.samples.length >= 8, 'audio rides along in every part');
  });
  assert.equal(chunks.reduce((n, x) => n + traf(chunks.indexOf(x), 'soun')!.samples.length, 0), 216);
});

test('a long GOP makes long segments; parts stay 200 ms', () => {
  const { segments } = chunk({}, video(150, { gop: 75 })); // 3 s GOP, 6 s of video
  assert.deepEqual(segments, [Array(15).fill(200), Array(15).fill(200)]);
});

test('a short GOP: a segment ends at the first keyframe after 1 s; keyframes inside a segment do not cut parts', () => {
  // keyframes every 280 ms: 0, 280, 560, 840, 1120, ...
  const { segments, chunks } = chunk({}, video(56, { gop: 7 }));
  assert.deepEqual(segments[0], [200, 200, 200, 200, 200, 120]);
  assert.equal(segments[0].reduce((a, b) => a + b), 1120);
  assert.ok(chunks.filter((x) => x.independent).every((x) => x.segmentStart));
});

test('no keyframe for maxSegmentMs: the segment is cut anyway, its successor not independent', () => {
  const { chunks, segments } = chunk({ maxSegmentMs: 2000 }, video(125, { gop: 1000 }));
  assert.deepEqual(segments.map((s) => s.reduce((a, b) => a + b)), [2000, 2000, 1000]);
  assert.deepEqual(chunks.filter((x) => x.segmentStart).map((x) => x.independent), [true, false, false]);
});

test('frames before the first keyframe are dropped, audio included; time starts at startAtMs', () => {
  const early = video(10, { gop: 1000 }).map((f) => ({ ...f, keyframe: false }));
  const frames = interleave(early, video(50, { start: 400 }), aac(60));
  const { chunks, traf, c } = chunk({ startAtMs: 7000, sequenceStart: 42 }, frames);
  assert.ok(chunks[0].independent && chunks[0].segmentStart);
  assert.equal(traf(0, 'vide')!.baseDecodeTime, 7000 * 90);
  // audio starts at or after the keyframe
  const audioStart = (traf(0, 'soun')!.baseDecodeTime * 1000) / 44100;
  assert.ok(audioStart >= 7000 && audioStart < 7000 + 24, `${audioStart}`);
  assert.equal(c.sequence, 42 + chunks.length);
  assert.ok(Math.abs(c.endMs - (7000 + 2000)) <= 24, `${c.endMs}`);
});

test('a track or codec the init segment lacks is ignored', () => {
  const { tracks, chunks, traf } = chunk({ audio: null }, interleave(video(50), pcma(100), aac(50)));
  assert.deepEqual(tracks.map((t) => t.handler), ['vide']);
  assert.equal(chunks.length, 10);
  assert.equal(traf(0, 'soun'), undefined);
});

test('option checks', () => {
  assert.throws(() => new CmafChunker({ video: VIDEO, partMs: 0, segmentMs: 1000, maxSegmentMs: 2000 }), RangeError);
  assert.throws(() => new CmafChunker({ video: VIDEO, partMs: 200, segmentMs: 1000, maxSegmentMs: 500 }), RangeError);
});
