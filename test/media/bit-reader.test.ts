import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitReader, removeEmulationPrevention } from '../../src/media/bit-reader.js';
import { ProtocolError } from '../../src/errors.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;

test('readBits reads MSB first across byte boundaries', () => {
  const r = new BitReader(Buffer.from([0b1010_1100, 0b0101_0011, 0xff, 0xff, 0xff, 0xfe]));
  assert.equal(r.readBits(3), 0b101);
  assert.equal(r.readBits(7), 0b0110001);
  assert.equal(r.readBit(), 0);
  assert.equal(r.readBits(5), 0b10011);
  assert.equal(r.bitsLeft, 32);
  assert.equal(r.readBits(32), 0xfffffffe); // unsigned, no sign trouble
  assert.equal(r.bitsLeft, 0);
  assert.throws(() => r.readBit(), isCode('BITSTREAM_TRUNCATED'));
});

test('exp-Golomb ue/se (ISO 14496-10 9.1): hand-checked codes', () => {
  // 1 | 010 | 011 | 00100 | 00101 | 00110 | 00111 -> ue 0,1,2,3,4,5,6
  const r = new BitReader(Buffer.from([0b1010_0110, 0b0100_0010, 0b1001_1000, 0b1110_0000]));
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(() => r.readUE()), [0, 1, 2, 3, 4, 5, 6]);
  // se: codeNum 1,2,3,4 -> 1,-1,2,-2
  const s = new BitReader(Buffer.from([0b0100_1100, 0b1000_0101, 0]));
  assert.deepEqual([s.readSE(), s.readSE(), s.readSE(), s.readSE()], [1, -1, 2, -2]);
});

test('ue(v) at the 32-bit limit, and longer codes are rejected', () => {
  // 31 zeros, 1, 31 ones -> 2^32 - 2
  const max = Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe]);
  assert.equal(new BitReader(max).readUE(), 2 ** 32 - 2);
  assert.throws(() => new BitReader(Buffer.alloc(8)).readUE(), isCode('BITSTREAM_INVALID'));
  // a code cut short by the end of data
  assert.throws(() => new BitReader(Buffer.from([0x00, 0x01])).readUE(), isCode('BITSTREAM_TRUNCATED'));
  assert.throws(() => new BitReader(Buffer.from([0x40])).readUEMax(0, 'x'), isCode('BITSTREAM_INVALID'));
});

test('skipBits and readBits are bounds-checked', () => {
  const r = new BitReader(Buffer.from([0xff]));
  assert.throws(() => r.skipBits(9), isCode('BITSTREAM_TRUNCATED'));
  assert.throws(() => r.readBits(9), isCode('BITSTREAM_TRUNCATED'));
  assert.equal(r.readBits(8), 0xff);
});

test('emulation prevention bytes are removed, input untouched', () => {
  const input = Buffer.from([0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x03, 0x05]);
  const copy = Buffer.from(input);
  assert.deepEqual([...removeEmulationPrevention(input)], [0, 0, 1, 0, 0, 0, 0, 3, 5]);
  assert.deepEqual(input, copy);
  // 03 not preceded by two zeros stays
  assert.deepEqual([...removeEmulationPrevention(Buffer.from([0x00, 0x03, 0x00, 0x00]))], [0, 3, 0, 0]);
});
