import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { AMF_CLASS_NAME, decodeAmf0, decodeAmf3CommandBody, encodeAmf0 } from '../../src/rtmp/amf0.js';
import { decodeAmf3, decodeAmf3Value, encodeAmf3, encodeU29, readU29 } from '../../src/rtmp/amf3.js';
import { createAmfContext } from '../../src/rtmp/amf-limits.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');
const obj = (entries: Record<string, unknown>) => Object.assign(Object.create(null), entries);
const throwsCode = (fn: () => unknown, code: string, msg?: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ProtocolError && e.code === code && (!msg || msg.test(e.message)));

// AMF3 spec 1.3.1 / 3.6: integers are U29, 29-bit two's complement.
const integers: [number, string][] = [
  [0, '00'], [0x7f, '7f'], [0x80, '81 00'], [0x3fff, 'ff 7f'], [0x4000, '81 80 00'],
  [0x1fffff, 'ff ff 7f'], [0x200000, '80 c0 80 00'], [0x0fffffff, 'bf ff ff ff'],
  [-1, 'ff ff ff ff'], [-(2 ** 28), 'c0 80 80 00'],
];

for (const [n, u29] of integers) {
  test(`AMF3 integer ${n} is 04 ${u29}`, () => {
    const bytes = hex(`04 ${u29}`);
    assert.deepStrictEqual(decodeAmf3(bytes), [n]);
    assert.deepStrictEqual(encodeAmf3(n), bytes);
  });
}

test('AMF3 U29 helpers agree at the byte-length boundaries', () => {
  for (const v of [0, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0x1fffffff]) {
    const bytes = Buffer.from(encodeU29(v));
    assert.deepStrictEqual(readU29(bytes, 0), { value: v, offset: bytes.length });
  }
  assert.throws(() => encodeU29(0x20000000));
});

test('AMF3 numbers outside 29 bits, fractions and -0 are doubles', () => {
  assert.deepStrictEqual(encodeAmf3(2 ** 28), hex('05 41b0000000000000'));
  assert.deepStrictEqual(encodeAmf3(1.5), hex('05 3ff8000000000000'));
  assert.deepStrictEqual(encodeAmf3(-0), hex('05 8000000000000000'));
  assert.deepStrictEqual(decodeAmf3(hex('05 41b0000000000000 05 8000000000000000')), [2 ** 28, -0]);
});

const simple: { name: string; bytes: string; value: unknown; encodes?: boolean }[] = [
  { name: 'undefined', bytes: '00', value: undefined, encodes: true },
  { name: 'null', bytes: '01', value: null, encodes: true },
  { name: 'false', bytes: '02', value: false, encodes: true },
  { name: 'true', bytes: '03', value: true, encodes: true },
  { name: 'string "abc"', bytes: '06 07 616263', value: 'abc', encodes: true },
  { name: 'empty string', bytes: '06 01', value: '', encodes: true },
  { name: 'xml document', bytes: '07 07 3c613e', value: '<a>' },
  { name: 'xml', bytes: '0b 07 3c613e', value: '<a>' },
  { name: 'date epoch+1s', bytes: '08 01 408f400000000000', value: new Date(1000), encodes: true },
  { name: 'byte array', bytes: '0c 07 010203', value: Buffer.from([1, 2, 3]), encodes: true },
  { name: 'dense array [1,"a"]', bytes: '09 05 01 04 01 06 03 61', value: [1, 'a'], encodes: true },
  { name: 'dynamic object {a:1, b:"c"}', bytes: '0a 0b 01 03 61 04 01 03 62 06 03 63 01', value: obj({ a: 1, b: 'c' }), encodes: true },
  { name: 'dense + associative array', bytes: '09 05 03 6b 06 03 76 01 04 01 04 02', value: obj({ k: 'v', 0: 1, 1: 2 }) },
];

for (const s of simple) {
  test(`AMF3 ${s.name}: decode${s.encodes ? ' and encode' : ''}`, () => {
    assert.deepStrictEqual(decodeAmf3(hex(s.bytes)), [s.value]);
    if (s.encodes) assert.deepStrictEqual(encodeAmf3(s.value), hex(s.bytes));
  });
}

test('AMF3 string references (1.3.2): "" is never in the table', () => {
  // ["ab", "", "ab", "cd", "cd"]: "ab" is #0, "cd" #1.
  const bytes = hex('09 0b 01 06 05 6162 06 01 06 00 06 05 6364 06 02');
  assert.deepStrictEqual(decodeAmf3(bytes), [['ab', '', 'ab', 'cd', 'cd']]);
  assert.deepStrictEqual(encodeAmf3(['ab', '', 'ab', 'cd', 'cd']), bytes);
  // Keys share the table: the second object's key "a" is a reference.
  assert.deepStrictEqual(decodeAmf3(hex('09 05 01 0a 0b 01 03 61 04 01 01 0a 0b 01 00 04 02 01')), [[obj({ a: 1 }), obj({ a: 2 })]]);
});

test('AMF3 traits inline then by reference, with sealed members and a class name', () => {
  // [P{x:1}, P{x:2}]: U29O 0x13 = 1 sealed member, inline traits; 0x01 = traits #0.
  const [arr] = decodeAmf3(hex('09 05 01 0a 13 03 50 03 78 04 01 0a 01 04 02')) as Record<string | symbol, unknown>[][];
  assert.deepStrictEqual(arr, [obj({ x: 1 }), obj({ x: 2 })]);
  assert.equal(arr[0][AMF_CLASS_NAME], 'P');
  assert.equal(arr[1][AMF_CLASS_NAME], 'P');
  // Sealed and dynamic members together: 0x1b = dynamic, 1 sealed member.
  assert.deepStrictEqual(decodeAmf3(hex('0a 1b 01 03 78 04 01 03 79 04 02 01')), [obj({ x: 1, y: 2 })]);
});

test('AMF3 object, array and date references', () => {
  // [o, o, d, d]: the array is object #0, o #1, d #2.
  const [arr] = decodeAmf3(hex('09 09 01 0a 0b 01 03 61 04 01 01 0a 02 08 01 0000000000000000 08 04')) as unknown[][];
  assert.deepStrictEqual(arr[0], obj({ a: 1 }));
  assert.equal(arr[1], arr[0]);
  assert.deepStrictEqual(arr[2], new Date(0));
  assert.equal(arr[3], arr[2]);
});

test('AMF3 round trip of nested values', () => {
  const value = obj({ s: 'x', n: -2.5, i: 300, b: true, z: null, l: [obj({ q: [] }), 'x', 's'], d: new Date(7) });
  assert.deepStrictEqual(decodeAmf3(encodeAmf3('cmd', value)), ['cmd', value]);
});

test('avmplus switch inside an AMF0 body, and in a type-17 command body', () => {
  const amf0 = hex('02 0004 74657374 11 0a 0b 01 03 61 04 05 01 11 06 03 61'); // "test", AMF3 {a:5}, AMF3 "a"
  assert.deepStrictEqual(decodeAmf0(amf0), ['test', obj({ a: 5 }), 'a']);
  const body = Buffer.concat([hex('00'), encodeAmf0('connect', 1), hex('11'), encodeAmf3({ app: 'live' })]);
  assert.deepStrictEqual(decodeAmf3CommandBody(body), ['connect', 1, obj({ app: 'live' })]);
  // Each switch starts fresh AMF3 tables, so a string reference across switches is unknown.
  throwsCode(() => decodeAmf0(hex('11 06 03 61 11 06 00')), 'AMF_BAD_REFERENCE');
});

test('AMF3 rejected types', () => {
  throwsCode(() => decodeAmf3(hex('0a 07 03 43')), 'AMF_UNSUPPORTED', /externalizable object of class "C"/);
  for (const m of ['0d', '0e', '0f', '10', '11']) throwsCode(() => decodeAmf3(hex(`${m} 01`)), 'AMF_UNSUPPORTED', /Vector|Dictionary/);
  throwsCode(() => decodeAmf3(hex('12')), 'AMF_BAD_MARKER', /0x12/);
});

test('AMF3 bad references', () => {
  throwsCode(() => decodeAmf3(hex('06 00')), 'AMF_BAD_REFERENCE', /string #0, only 0 seen/);
  throwsCode(() => decodeAmf3(hex('0a 01')), 'AMF_BAD_REFERENCE', /traits #0/);
  throwsCode(() => decodeAmf3(hex('0a 02')), 'AMF_BAD_REFERENCE', /#1, only 0 seen/);
  throwsCode(() => decodeAmf3(hex('0a 0b 01 03 61 0a 00 01')), 'AMF_BAD_REFERENCE', /cycle/);
  throwsCode(() => decodeAmf3(hex('09 03 01 09 00')), 'AMF_BAD_REFERENCE', /cycle/);
});

test('AMF3 hostile counts and nesting', () => {
  throwsCode(() => decodeAmf3(hex('06 ff ff ff ff 61')), 'AMF_TRUNCATED', /268435455 bytes, 1 remain/);
  throwsCode(() => decodeAmf3(hex('0c ff ff ff ff')), 'AMF_TRUNCATED');
  throwsCode(() => decodeAmf3(hex('09 ff ff ff ff 01')), 'AMF_TRUNCATED', /268435455 elements/);
  throwsCode(() => decodeAmf3(hex('0a ff ff ff f3 01')), 'AMF_LIMIT', /maxKeys/); // 33 million sealed members
  throwsCode(() => decodeAmf3(hex('0a 9f 73 01' + '03 61'.repeat(4))), 'AMF_TRUNCATED'); // 255 declared, 4 given
  throwsCode(() => decodeAmf3(hex('04 ff ff')), 'AMF_TRUNCATED', /U29/);
  throwsCode(() => decodeAmf3(hex('09 03 01'.repeat(10_000))), 'AMF_LIMIT', /maxDepth/);
  throwsCode(() => decodeAmf3(hex('0a 0b 01 03 61'.repeat(10_000))), 'AMF_LIMIT', /maxDepth/);
  throwsCode(() => decodeAmf3(encodeAmf3('x'.repeat(11)), { maxStringBytes: 10 }), 'AMF_LIMIT', /maxStringBytes/);
  // A string reference is charged at its full size against maxTotalBytes.
  throwsCode(() => decodeAmf3(hex('06 0b 6162636465 06 00'), { maxTotalBytes: 9 }), 'AMF_LIMIT', /maxTotalBytes/);
});

test('AMF3 __proto__ keys stay own properties', () => {
  const [v] = decodeAmf3(hex('0a 0b 01 13 5f5f70726f746f5f5f 0a 0b 01 03 78 03 01 01')) as object[];
  assert.equal(Object.getPrototypeOf(v), null);
  assert.deepStrictEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('decodeAmf3Value shares value counts with the caller context', () => {
  const ctx = createAmfContext({ maxValues: 3 });
  assert.deepStrictEqual(decodeAmf3Value(hex('09 05 01 01 01'), 0, ctx), { value: [null, null], offset: 5 });
  throwsCode(() => decodeAmf3Value(hex('01'), 0, ctx), 'AMF_LIMIT', /maxValues/);
});

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('AMF3 truncations, random and mutated input only throw ProtocolError, input unchanged', () => {
  const valid = encodeAmf3(obj({ a: [1, 'two', 3.5, null], b: obj({ c: new Date(9), d: Buffer.from([1]) }), e: 'two' }));
  assert.deepStrictEqual(decodeAmf3(valid.subarray(0, 0)), []);
  for (let cut = 1; cut < valid.length; cut++) throwsCode(() => decodeAmf3(valid.subarray(0, cut)), 'AMF_TRUNCATED');
  const rand = rng(0xa3f3);
  for (let i = 0; i < 6000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) {
      buf = Buffer.alloc(Math.floor(rand() * 64));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      if (buf.length > 0 && rand() < 0.7) buf[0] = Math.floor(rand() * 0x12);
    } else {
      buf = Buffer.from(valid);
      for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    }
    const before = Buffer.from(buf);
    for (const decode of [() => decodeAmf3(buf), () => decodeAmf0(buf)]) {
      try {
        decode();
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `buffer ${before.toString('hex')} threw ${String(e)}`);
      }
    }
    assert.deepStrictEqual(buf, before);
  }
});
