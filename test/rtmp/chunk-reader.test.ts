import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/rtmp/chunk-writer.js';
import type { RawMessage } from '../../src/rtmp/message-types.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Feeds the bytes in the given split sizes (cycled). */
function feed(reader: ChunkReader, bytes: Buffer, sizes: number[] = [bytes.length]): RawMessage[] {
  const out: RawMessage[] = [];
  let i = 0;
  for (let off = 0; off < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    out.push(...reader.push(bytes.subarray(off, off + n)));
    off += n;
  }
  return out;
}

test('type 0 header: fields byte by byte (spec 5.3.1.2.1)', () => {
  // csid 3, ts 0x000102, length 5, type 20, stream id 1 (little-endian)
  const bytes = hex('03 000102 000005 14 01000000 0102030405');
  for (const split of [[bytes.length], [1], [2, 3], [12, 1]]) {
    const [m] = feed(new ChunkReader(), bytes, split);
    assert.deepEqual({ ...m, body: [...m.body] }, { csid: 3, type: 20, streamId: 1, timestamp: 0x102, body: [1, 2, 3, 4, 5] });
  }
});

test('ffmpeg connect command split into 128-byte chunks with type-3 continuation (csid 3)', () => {
  // What ffmpeg's rtmpproto sends after the handshake: a 180-byte connect body on csid 3.
  const body = Buffer.alloc(180, 0xab);
  const bytes = Buffer.concat([hex('03 000000 0000b4 14 00000000'), body.subarray(0, 128), hex('c3'), body.subarray(128)]);
  const msgs = feed(new ChunkReader(), bytes, [7]);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].body.length, 180);
  assert.ok(msgs[0].body.equals(body));
});

test('types 1, 2 and 3 inherit from the previous header; deltas accumulate', () => {
  const bytes = hex(
    [
      '04 000064 000002 08 01000000 aaaa', // type 0: ts 100, len 2, audio, stream 1
      '44 000014 000003 09 bbbbbb', // type 1: +20 → 120, len 3, video
      '84 00000a cccccc', // type 2: +10 → 130, same length/type
      'c4 dddddd', // type 3 new message: +10 again → 140
    ].join(''),
  );
  const msgs = feed(new ChunkReader(), bytes, [1]);
  assert.deepEqual(
    msgs.map((m) => [m.timestamp, m.type, m.streamId, m.body.toString('hex')]),
    [
      [100, 8, 1, 'aaaa'],
      [120, 9, 1, 'bbbbbb'],
      [130, 9, 1, 'cccccc'],
      [140, 9, 1, 'dddddd'],
    ],
  );
});

test('a type-3 chunk starting a new message after a type 0 adds the type-0 timestamp (GStreamer, spec 5.3.1.2.4)', () => {
  const bytes = hex('05 0003e8 000001 09 01000000 11 c5 22');
  const msgs = feed(new ChunkReader(), bytes);
  assert.deepEqual(msgs.map((m) => m.timestamp), [1000, 2000]);
});

test('1-, 2- and 3-byte chunk stream ids (3-byte: b2*256 + b1 + 64)', () => {
  const reader = new ChunkReader();
  const two = feed(reader, hex('00 06 000000 000001 08 01000000 aa')); // csid 6+64 = 70
  const three = feed(reader, hex('01 02 01 000000 000001 08 01000000 bb')); // 1*256 + 2 + 64 = 322
  assert.equal(two[0].csid, 70);
  assert.equal(three[0].csid, 322);
  const w = new ChunkWriter();
  for (const csid of [2, 63, 64, 319, 320, 65599]) {
    const m = feed(new ChunkReader(), Buffer.concat(w.write({ csid, type: 8, streamId: 1, timestamp: 5, body: hex('01') })));
    assert.equal(m[0].csid, csid);
  }
});

test('extended timestamp on type 0 and repeated on type-3 continuation chunks', () => {
  const ts = 0x01020304;
  const body = Buffer.alloc(300, 7);
  const w = new ChunkWriter();
  const wire = Buffer.concat(w.write({ csid: 6, type: 9, streamId: 1, timestamp: ts, body }));
  // type 0 header: ts field 0xffffff then the extended 4 bytes; each type-3 header repeats them
  assert.equal(wire.subarray(1, 4).toString('hex'), 'ffffff');
  assert.equal(wire.subarray(12, 16).readUInt32BE(0), ts);
  assert.equal(wire.subarray(16 + 128, 16 + 128 + 5).toString('hex'), 'c601020304');
  for (const split of [[wire.length], [1], [3, 5, 130]]) {
    const msgs = feed(new ChunkReader(), wire, split);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].timestamp, ts);
    assert.ok(msgs[0].body.equals(body));
  }
});

test('type-3 continuation that omits the extended timestamp (FMLE style): peeked bytes are payload', () => {
  const ts = 0x01000000;
  const body = Buffer.alloc(200, 0x55);
  const wire = Buffer.concat([
    hex('06 ffffff 0000c8 09 01000000 01000000'),
    body.subarray(0, 128),
    hex('c6'), // no repeat of the extended timestamp
    body.subarray(128),
  ]);
  const msgs = feed(new ChunkReader(), wire, [1]);
  assert.equal(msgs.length, 1);
  assert.ok(msgs[0].body.equals(body));
});

test('Set Chunk Size changes the split mid-stream; abort drops a partial message', () => {
  const reader = new ChunkReader();
  const w = new ChunkWriter();
  const a = Buffer.alloc(1000, 1);
  w.chunkSize = 128;
  const first = Buffer.concat(w.write({ csid: 4, type: 8, streamId: 1, timestamp: 0, body: a }));
  assert.equal(feed(reader, first, [100]).length, 1);
  reader.setChunkSize(4096);
  w.chunkSize = 4096;
  const big = Buffer.alloc(5000, 2);
  const msgs = feed(reader, Buffer.concat(w.write({ csid: 4, type: 9, streamId: 1, timestamp: 40, body: big })), [333]);
  assert.equal(msgs.length, 1);
  assert.ok(msgs[0].body.equals(big));

  // half a message, then abort, then a new type-0 message on the same csid
  const wire = Buffer.concat(w.write({ csid: 5, type: 9, streamId: 1, timestamp: 0, body: Buffer.alloc(6000, 3) }));
  assert.equal(reader.push(wire.subarray(0, 4096 + 12)).length, 0);
  reader.abort(5);
  const next = reader.push(Buffer.concat(w.write({ csid: 5, type: 9, streamId: 1, timestamp: 1, body: hex('0909') })));
  assert.equal(next[0].body.toString('hex'), '0909');
});

test('a Set Chunk Size message applies to the bytes right after it, in the same read', () => {
  const w = new ChunkWriter();
  const setSize = Buffer.concat(w.write({ csid: 2, type: 1, streamId: 0, timestamp: 0, body: hex('00001000') }));
  w.chunkSize = 4096;
  const big = Buffer.alloc(3000, 4);
  const wire = Buffer.concat([setSize, ...w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, body: big })]);
  const r = new ChunkReader();
  const msgs = r.push(wire);
  assert.deepEqual(msgs.map((m) => m.type), [1, 9]);
  assert.ok(msgs[1].body.equals(big));
  assert.equal(r.chunkSize, 4096);
  // Abort, likewise: the partial message on csid 6 is dropped before the next bytes are read
  const partial = Buffer.concat(w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, body: Buffer.alloc(5000) })).subarray(0, 4096 + 12);
  const abort = Buffer.concat(w.write({ csid: 2, type: 2, streamId: 0, timestamp: 0, body: hex('00000006') }));
  const again = Buffer.concat(w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, body: hex('77') }));
  assert.deepEqual(r.push(Buffer.concat([partial, abort, again])).map((m) => m.body.toString('hex')), ['00000006', '77']);
  assert.throws(() => new ChunkReader().push(Buffer.concat(new ChunkWriter().write({ csid: 2, type: 1, streamId: 0, timestamp: 0, body: hex('80000000') }))), /bit 31/);
});

test('interleaved chunk streams reassemble independently', () => {
  const w = new ChunkWriter();
  const v = Buffer.alloc(300, 9);
  const a = Buffer.alloc(10, 8);
  const vChunks = w.write({ csid: 6, type: 9, streamId: 1, timestamp: 0, body: v });
  const aChunks = w.write({ csid: 4, type: 8, streamId: 1, timestamp: 0, body: a });
  // video header+first chunk, the whole audio message, then the rest of the video
  const wire = Buffer.concat([vChunks[0], vChunks[1], ...aChunks, ...vChunks.slice(2)]);
  const msgs = feed(new ChunkReader(), wire, [17]);
  assert.deepEqual(msgs.map((m) => [m.type, m.body.length]), [[8, 10], [9, 300]]);
});

test('zero-length messages are delivered', () => {
  const msgs = feed(new ChunkReader(), hex('03 000000 000000 14 00000000 03 000000 000001 14 00000000 ff'));
  assert.deepEqual(msgs.map((m) => m.body.length), [0, 1]);
});

test('hostile input: each problem is a ProtocolError naming it', () => {
  const cases: [string, () => unknown, string][] = [
    ['type 1 with no previous header', () => new ChunkReader().push(hex('43 000000 000001 08')), 'CHUNK_NO_PREVIOUS_HEADER'],
    ['type 3 with no previous header', () => new ChunkReader().push(hex('c3 00')), 'CHUNK_NO_PREVIOUS_HEADER'],
    ['message length above the cap', () => new ChunkReader({ maxMessageBytes: 1000 }).push(hex('03 000000 0003e9 09 01000000')), 'MESSAGE_TOO_LARGE'],
    // the 24-bit length field tops out at 16 MiB - 1, so the cap matters when set lower
    ['1 MiB + 1 with a 1 MiB cap', () => new ChunkReader({ maxMessageBytes: 1 << 20 }).push(hex('03 000000 100001 09 01000000')), 'MESSAGE_TOO_LARGE'],
    ['chunk size 0', () => new ChunkReader().setChunkSize(0), 'CHUNK_SIZE_INVALID'],
    ['chunk size above the cap', () => new ChunkReader({ maxChunkSize: 65536 }).setChunkSize(65537), 'CHUNK_SIZE_LIMIT'],
    [
      'too many chunk streams',
      () => {
        const r = new ChunkReader({ maxChunkStreams: 3 });
        for (let cs = 3; cs < 7; cs++) r.push(Buffer.concat([Buffer.from([cs]), hex('000000 000001 08 01000000 00')]));
      },
      'CHUNK_STREAM_LIMIT',
    ],
    [
      'new header in the middle of a message',
      () => new ChunkReader().push(Buffer.concat([hex('03 000000 0000c8 09 01000000'), Buffer.alloc(128), hex('03 000000 000001 09 01000000')])),
      'CHUNK_HEADER_MID_MESSAGE',
    ],
    [
      'pending bytes across streams above the cap',
      () => {
        const r = new ChunkReader({ maxPendingBytes: 200 });
        r.setChunkSize(150);
        r.push(Buffer.concat([hex('04 000000 000400 09 01000000'), Buffer.alloc(150)]));
        r.push(Buffer.concat([hex('05 000000 000400 09 01000000'), Buffer.alloc(150)]));
      },
      'PENDING_BYTES_LIMIT',
    ],
  ];
  for (const [name, fn, code] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof ProtocolError && e.code === code, name);
  }
});

test('a declared 16 MiB message is not allocated up front', () => {
  const r = new ChunkReader();
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 50; i++) {
    const hdr = Buffer.from([3 + (i % 60)]);
    try {
      r.push(Buffer.concat([hdr, hex('000000 ffff00 09 01000000 00')]));
    } catch {
      break; // the chunk stream cap
    }
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < 50 * 1024 * 1024);
});

test('random bytes only ever raise ProtocolError', () => {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 3000; i++) {
    const bytes = Buffer.alloc(1 + Math.floor(rnd() * 400));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rnd() * 256);
    const copy = Buffer.from(bytes);
    try {
      feed(new ChunkReader({ maxMessageBytes: 4096, maxPendingBytes: 8192 }), bytes, [1 + Math.floor(rnd() * 50)]);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `unexpected ${String(e)}`);
    }
    assert.ok(bytes.equals(copy), 'reader modified its input');
  }
});
