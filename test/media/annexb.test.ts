import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import {
  annexBToLengthPrefixed,
  lengthPrefix,
  splitAnnexB,
  splitLengthPrefixed,
  startsWithStartCode,
  toFourByteLengths,
} from '../../src/media/annexb.js';
import { fixture } from './ffprobe.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;
const b = (...bytes: number[]) => Buffer.from(bytes);

test('start code detection: 3- and 4-byte forms only at the start', () => {
  assert.equal(startsWithStartCode(b(0, 0, 1, 0x67)), true);
  assert.equal(startsWithStartCode(b(0, 0, 0, 1, 0x67)), true);
  assert.equal(startsWithStartCode(b(0, 0, 0, 0x1d, 0x67)), false); // a 4-byte length of 29
  assert.equal(startsWithStartCode(b(0, 0)), false);
  assert.equal(startsWithStartCode(b(1, 0, 0, 1)), false);
});

test('splitAnnexB: mixed start codes, trailing zeros, empty NALs, garbage before the first', () => {
  const data = b(0xaa, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0, 0, 1, 0x65, 0, 0, 3, 1, 0);
  const before = Buffer.from(data);
  const nals = splitAnnexB(data);
  assert.deepEqual(nals.map((n) => [...n]), [[0x67, 1, 2], [0x68, 3], [0x65, 0, 0, 3, 1]]);
  assert.deepEqual(data, before);
  assert.equal(nals[0].buffer, data.buffer, 'subarrays, no copy');
  assert.deepEqual(splitAnnexB(b(1, 2, 3)), []);
});

test('Annex-B to 4-byte lengths', () => {
  const out = annexBToLengthPrefixed(b(0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x65, 0x88));
  assert.deepEqual([...out], [0, 0, 0, 2, 0x09, 0xf0, 0, 0, 0, 2, 0x65, 0x88]);
});

test('length-prefixed payloads of size 1/2/3/4 become 4-byte lengths', () => {
  const nals = [b(0x65, 1, 2, 3), b(0x06, 5)];
  const expected = lengthPrefix(nals);
  assert.deepEqual([...expected], [0, 0, 0, 4, 0x65, 1, 2, 3, 0, 0, 0, 2, 6, 5]);
  assert.deepEqual(toFourByteLengths(b(4, 0x65, 1, 2, 3, 2, 6, 5), 1), expected);
  assert.deepEqual(toFourByteLengths(b(0, 4, 0x65, 1, 2, 3, 0, 2, 6, 5), 2), expected);
  assert.deepEqual(toFourByteLengths(b(0, 0, 4, 0x65, 1, 2, 3, 0, 0, 2, 6, 5), 3), expected);
  assert.equal(toFourByteLengths(expected, 4), expected, '4-byte input comes back as is');
  // zero-length NALs are dropped
  assert.deepEqual(toFourByteLengths(b(0, 0, 0, 0, 0, 0, 0, 1, 0x09), 4), b(0, 0, 0, 1, 0x09));
});

test('declared NAL length past the end, or a cut length field, is a ProtocolError', () => {
  assert.throws(() => splitLengthPrefixed(b(0, 0, 0, 5, 1, 2, 3), 4), isCode('NAL_LENGTH_OVERFLOW'));
  assert.throws(() => splitLengthPrefixed(b(0, 0, 0, 1, 9, 0, 0), 4), isCode('NAL_LENGTH_OVERFLOW'));
  assert.throws(() => splitLengthPrefixed(b(0xff, 0xff, 0xff, 0xff), 4), isCode('NAL_LENGTH_OVERFLOW'));
  assert.throws(() => toFourByteLengths(b(3, 1), 1), isCode('NAL_LENGTH_OVERFLOW'));
  assert.throws(() => toFourByteLengths(b(1), 3), isCode('NAL_LENGTH_OVERFLOW'));
  assert.throws(() => toFourByteLengths(b(1), 5), isCode('NAL_LENGTH_SIZE_INVALID'));
});

test('x264 Annex-B stream round-trips through length prefixes', () => {
  const data = fixture('h264-720p25.h264');
  const nals = splitAnnexB(data);
  assert.deepEqual(nals.slice(0, 3).map((n) => n[0] & 0x1f), [7, 8, 6]);
  const prefixed = annexBToLengthPrefixed(data);
  assert.deepEqual(splitLengthPrefixed(prefixed, 4), nals);
});
