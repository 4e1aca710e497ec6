/**
 * ChunkReader with compactInPlace (what RtmpConnection uses): the same
 * messages as the copying reader for any interleaving and any split, and a
 * message that came in one input is joined inside it, not copied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/rtmp/chunk-writer.js';
import type { RawMessage } from '../../src/rtmp/message-types.js';

const plain = (m: RawMessage) => ({ ...m, body: m.body.toString('hex') });

/** Each piece is a fresh copy: the compacting reader may write to what it is given. */
function feed(reader: ChunkReader, wire: Buffer, cuts: number[]): RawMessage[] {
  const out: RawMessage[] = [];
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, wire.length]) {
    if (p <= prev) continue;
    out.push(...reader.push(Buffer.from(wire.subarray(prev, p))));
    prev = p;
  }
  return out;
}

/** Messages on several chunk streams, their chunks interleaved as a sender may (spec 5.3.1). */
function interleaved(msgs: { csid: number; size: number; ts: number }[], chunkSize: number, order: number[]): Buffer {
  const w = new ChunkWriter();
  w.chunkSize = chunkSize;
  const queues = msgs.map((m, i) => {
    const body = Buffer.alloc(m.size, i + 1);
    for (let j = 0; j < body.length; j++) body[j] = (i * 31 + j) & 0xff;
    // the writer's type-0 then type-3 chunks, header and payload pairs
    const parts = w.write({ csid: m.csid, type: 9, streamId: 1, timestamp: m.ts, body });
    const chunks: Buffer[] = [];
    for (let k = 0; k < parts.length; k += 2) chunks.push(Buffer.concat([parts[k], parts[k + 1] ?? Buffer.alloc(0)]));
    return chunks;
  });
  // one message per csid in flight at a time: interleave across csids only
  const byCsid = new Map<number, Buffer[][]>();
  msgs.forEach((m, i) => byCsid.set(m.csid, [...(byCsid.get(m.csid) ?? []), queues[i]]));
  const lanes = [...byCsid.values()].map((qs) => qs.flat());
  const out: Buffer[] = [];
  let k = 0;
  while (lanes.some((l) => l.length)) {
    const live = lanes.filter((l) => l.length);
    out.push(live[order[k++ % order.length] % live.length].shift()!);
  }
  return Buffer.concat(out);
}

test('compacting reader returns what the copying reader returns, for any interleaving and split', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ csid: fc.constantFrom(4, 6, 70, 400), size: fc.integer({ min: 0, max: 3000 }), ts: fc.integer({ min: 0, max: 0xffffffff }) }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom(1, 7, 128, 1000, 4096),
      fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (msgs, chunkSize, order, cuts) => {
        const wire = interleaved(msgs, chunkSize, order);
        const copying = new ChunkReader();
        const compacting = new ChunkReader({}, { compactInPlace: true });
        copying.chunkSize = compacting.chunkSize = chunkSize;
        assert.deepEqual(feed(compacting, wire, cuts).map(plain), feed(copying, wire, cuts).map(plain));
      },
    ),
    { numRuns: 300 },
  );
});

test('a multi-chunk message read in one piece is joined inside the input (no new buffer)', () => {
  const w = new ChunkWriter();
  w.chunkSize = 128;
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
  const audio = Buffer.alloc(50, 7);
  // video chunks, then a whole audio message, then the next video message
  const wire = Buffer.concat([...w.write({ csid: 6, type: 9, streamId: 1, timestamp: 40, body }), ...w.write({ csid: 4, type: 8, streamId: 1, timestamp: 41, body: audio }), ...w.write({ csid: 6, type: 9, streamId: 1, timestamp: 80, body })]);
  const input = Buffer.from(wire);
  const [v1, a, v2] = new ChunkReader({}, { compactInPlace: true }).push(input);
  assert.ok(v1.body.equals(body) && v2.body.equals(body) && a.body.equals(audio));
  assert.equal(v1.body.buffer, input.buffer);
  assert.equal(v2.body.buffer, input.buffer);
  assert.ok(a.body.equals(audio), 'joining the second video message left the audio body alone');
});

test('chunks of two messages interleaved in one input: each still joined correctly', () => {
  const w = new ChunkWriter();
  w.chunkSize = 100;
  const v = Buffer.alloc(250, 1);
  const a = Buffer.alloc(150, 2);
  const vp = w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, body: v });
  const ap = w.write({ csid: 4, type: 8, streamId: 1, timestamp: 0, body: a });
  // v chunk 1, a chunk 1, v chunk 2, a chunk 2, v chunk 3
  const wire = Buffer.concat([vp[0], vp[1], ap[0], ap[1], vp[2], vp[3], ap[2], ap[3], vp[4], vp[5]]);
  const reader = new ChunkReader({}, { compactInPlace: true });
  reader.chunkSize = 100;
  const msgs = reader.push(Buffer.from(wire));
  assert.equal(msgs.length, 2);
  const byType = new Map(msgs.map((m) => [m.type, m.body]));
  assert.ok(byType.get(9)!.equals(v));
  assert.ok(byType.get(8)!.equals(a));
});
