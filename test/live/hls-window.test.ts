/** SegmentWindow: numbering, memory bounds (old segments dropped), lookups and blocking-reload answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Chunk } from '../../src/live/hls/cmaf-chunker.js';
import { SegmentWindow, type ChunkMeta } from '../../src/live/hls/segment-window.js';

const meta = (more: Partial<ChunkMeta> = {}): ChunkMeta => ({ initId: 1, discontinuity: false, wallMs: 0, ...more });
const chunk = (segmentStart: boolean, bytes = 100, durationMs = 200, segmentEnd = false): Chunk => ({
  data: Buffer.alloc(bytes),
  startMs: 0,
  durationMs,
  independent: segmentStart,
  segmentStart,
  segmentEnd,
});

/** `n` segments of five 200 ms parts */
function fill(w: SegmentWindow, n: number, bytes = 100): void {
  for (let s = 0; s < n; s++) for (let p = 0; p < 5; p++) w.add(chunk(p === 0, bytes), meta());
}

test('segments open on a segment-start chunk and close on the next; numbers increase from the given start', () => {
  const w = new SegmentWindow({ firstMsn: 100, firstPartId: 1000, keepSegments: 10, maxBytes: 1e9 });
  fill(w, 3);
  assert.deepEqual(w.completed().map((s) => [s.msn, s.durationMs, s.parts.length]), [[100, 1000, 5], [101, 1000, 5]]);
  assert.equal(w.open!.msn, 102);
  assert.equal(w.segment(102), undefined, 'the open segment is not served whole');
  assert.equal(w.segment(101)!.parts[0].id, 1005);
  assert.equal(w.part(1012)!.msn, 102);
  assert.equal(w.part(1012)!.index, 2);
  assert.equal(w.part(1015), undefined);
  assert.equal(w.nextPartId, 1015);
  // the chunk a keyframe cut ends completes its segment at once, not when the next part comes
  w.add(chunk(false, 100, 200, true), meta());
  assert.equal(w.open, null);
  assert.equal(w.segment(102)!.parts.length, 6);
  w.close();
  assert.equal(w.maxSegmentMs, 1200);
  assert.equal(w.maxPartMs, 200);
});

test('count bound: only keepSegments complete segments stay; aged-out ones and their parts are gone', () => {
  const w = new SegmentWindow({ firstMsn: 0, firstPartId: 0, keepSegments: 6, maxBytes: 1e9 });
  fill(w, 20);
  assert.deepEqual(w.completed().map((s) => s.msn), [13, 14, 15, 16, 17, 18]);
  assert.equal(w.segment(12), undefined);
  assert.equal(w.part(5), undefined);
  assert.equal(w.byteLength, 7 * 5 * 100);
});

test('byte bound: the oldest segments go first, the newest complete one always stays', () => {
  const w = new SegmentWindow({ firstMsn: 0, firstPartId: 0, keepSegments: 6, maxBytes: 5000 });
  fill(w, 10, 400); // 2000 bytes a segment
  assert.equal(w.byteLength, 4000);
  assert.deepEqual(w.completed().map((s) => s.msn), [8]);
  assert.equal(w.open!.msn, 9);
  const huge = new SegmentWindow({ firstMsn: 0, firstPartId: 0, keepSegments: 6, maxBytes: 10 });
  fill(huge, 3);
  assert.deepEqual(huge.completed().map((s) => s.msn), [1]);
});

test('discontinuities: flagged segments raise the discontinuity sequence; the first segment never has one', () => {
  const w = new SegmentWindow({ firstMsn: 0, firstPartId: 0, keepSegments: 6, maxBytes: 1e9 });
  w.add(chunk(true), meta({ discontinuity: true }));
  w.add(chunk(true), meta());
  w.add(chunk(true), meta({ discontinuity: true, initId: 2 }));
  w.add(chunk(false), meta({ discontinuity: true })); // not a segment start: no effect
  w.add(chunk(true), meta({ discontinuity: true, initId: 2 }));
  assert.deepEqual(w.all().map((s) => [s.discontinuity, s.discSeq, s.initId]), [[false, 0, 1], [false, 0, 1], [true, 1, 2], [true, 2, 2]]);
  assert.deepEqual([...w.initIds()].sort(), [1, 2]);
});

test('has(): what a blocking playlist reload waits for (rfc8216bis 6.2.5.2)', () => {
  const w = new SegmentWindow({ firstMsn: 10, firstPartId: 0, keepSegments: 3, maxBytes: 1e9 });
  assert.equal(w.has(10, 0), false, 'nothing yet');
  fill(w, 1); // 10 complete once 11 starts; for now open with 5 parts
  assert.equal(w.has(10, 4), true);
  assert.equal(w.has(10, 5), false, 'the sixth part of the open segment is not there');
  assert.equal(w.has(10, null), false, 'the whole segment is not complete');
  w.add(chunk(true), meta()); // 10 complete, 11 open with one part
  assert.equal(w.has(10, null), true);
  assert.equal(w.has(10, 5), true, 'past the last part of 10 means part 0 of 11, which exists');
  assert.equal(w.has(11, 0), true);
  assert.equal(w.has(11, 1), false);
  assert.equal(w.has(12, 0), false);
  fill(w, 5);
  assert.equal(w.has(10, 3), true, 'aged out of the window: long available');
});
