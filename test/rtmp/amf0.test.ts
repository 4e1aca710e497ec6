import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import {
  AMF_CLASS_NAME, EcmaArray, createAmfContext, decodeAmf0, decodeAmf0Value, decodeAmf3CommandBody, encodeAmf0,
} from '../../src/rtmp/amf0.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+|#[^\n]*/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');
/** Null-prototype object, as the decoder returns. */
const obj = (entries: Record<string, unknown>) => Object.assign(Object.create(null), entries);
const throwsCode = (fn: () => unknown, code: string, msg?: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ProtocolError && e.code === code && (!msg || msg.test(e.message)));

// Every AMF0 marker (spec 2.2-2.18, 3.1), both directions where we encode it.
const markers: { name: string; bytes: string; value: unknown; encodes?: boolean }[] = [
  { name: 'number 1.5', bytes: '00 3ff8000000000000', value: 1.5, encodes: true },
  { name: 'number -0', bytes: '00 8000000000000000', value: -0, encodes: true },
  { name: 'boolean true', bytes: '01 01', value: true, encodes: true },
  { name: 'boolean false', bytes: '01 00', value: false, encodes: true },
  { name: 'string "ab"', bytes: '02 0002 6162', value: 'ab', encodes: true },
  { name: 'string ""', bytes: '02 0000', value: '', encodes: true },
  { name: 'string utf-8 "é"', bytes: '02 0002 c3a9', value: 'é', encodes: true },
  { name: 'object {a:1}', bytes: '03 0001 61 00 3ff0000000000000 0000 09', value: obj({ a: 1 }), encodes: true },
  { name: 'empty object', bytes: '03 0000 09', value: obj({}), encodes: true },
  { name: 'null', bytes: '05', value: null, encodes: true },
  { name: 'undefined', bytes: '06', value: undefined, encodes: true },
  { name: 'ECMA array {k:"v"}', bytes: '08 00000001 0001 6b 02 0001 76 0000 09', value: obj({ k: 'v' }) },
  { name: 'strict array [1,"a"]', bytes: '0a 00000002 00 3ff0000000000000 02 0001 61', value: [1, 'a'], encodes: true },
  { name: 'date epoch+1s', bytes: '0b 408f400000000000 0000', value: new Date(1000), encodes: true },
  { name: 'long string "ab"', bytes: '0c 00000002 6162', value: 'ab' },
  { name: 'unsupported', bytes: '0d', value: undefined },
  { name: 'xml document', bytes: '0f 00000003 3c613e', value: '<a>' },
  { name: 'avmplus switch to AMF3 integer 5', bytes: '11 04 05', value: 5 },
  { name: 'object with empty-key property', bytes: '03 0000 05 0000 09', value: obj({ '': null }), encodes: true },
];

for (const m of markers) {
  test(`AMF0 ${m.name}: decode${m.encodes ? ' and encode' : ''}`, () => {
    assert.deepStrictEqual(decodeAmf0(hex(m.bytes)), [m.value]);
    if (m.encodes) assert.equal(encodeAmf0(m.value).toString('hex'), hex(m.bytes).toString('hex'));
  });
}

test('AMF0 typed object keeps its class name in a non-enumerable symbol', () => {
  const bytes = hex('10 0001 50 0001 78 00 4000000000000000 0000 09'); // class "P" {x:2}
  const [v] = decodeAmf0(bytes) as Record<string | symbol, unknown>[];
  assert.deepStrictEqual(v, obj({ x: 2 }));
  assert.equal(v[AMF_CLASS_NAME], 'P');
  assert.equal(encodeAmf0(v).toString('hex'), bytes.toString('hex'));
});

test('AMF0 reference resolves to the earlier complex object (2.9)', () => {
  // [ {a:1}, ref #1 ]: the strict array is #0, the object #1.
  const [arr] = decodeAmf0(hex('0a 00000002 03 0001 61 00 3ff0000000000000 0000 09 07 0001')) as unknown[][];
  assert.deepStrictEqual(arr[0], obj({ a: 1 }));
  assert.equal(arr[1], arr[0]);
});

test('AMF0 ECMA array encodes from EcmaArray with its real count', () => {
  assert.equal(encodeAmf0(new EcmaArray({ k: 'v' })).toString('hex'), hex('08 00000001 0001 6b 02 0001 76 0000 09').toString('hex'));
});

test('AMF0 strings switch to the long-string marker past 65535 UTF-8 bytes', () => {
  const short = 'x'.repeat(0xffff);
  const long = 'é'.repeat(0x8000); // 65536 bytes in UTF-8
  assert.deepStrictEqual([...encodeAmf0(short).subarray(0, 3)], [0x02, 0xff, 0xff]);
  assert.deepStrictEqual([...encodeAmf0(long).subarray(0, 5)], [0x0c, 0x00, 0x01, 0x00, 0x00]);
  assert.deepStrictEqual(decodeAmf0(encodeAmf0(short, long)), [short, long]);
});

test('AMF0 round trip of nested values', () => {
  const value = obj({ s: 'x', n: -2.5, b: false, z: null, u: undefined, d: new Date(5), l: [obj({ q: [] }), 'y'] });
  assert.deepStrictEqual(decodeAmf0(encodeAmf0('cmd', 3, value)), ['cmd', 3, value]);
});

test('AMF0 encoder rejects what it cannot represent', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad = [() => 1, Symbol('s'), 10n, new Map(), new Uint8Array(1), cyclic, { ['k'.repeat(70000)]: 1 }];
  for (const value of bad) {
    assert.throws(() => encodeAmf0({ x: [value] }), (e: unknown) => (e as { code?: string }).code === 'AMF_ENCODE');
  }
});

// ---- bodies from real clients ------------------------------------------------

/** ffmpeg (rtmpproto.c gen_connect, publishing): "connect", 1, {app, type, flashVer, tcUrl}. */
const FFMPEG_CONNECT = hex(`
  02 0007 ${ascii('connect')}
  00 3ff0000000000000                                   # transaction id 1
  03
    0003 ${ascii('app')}      02 0004 ${ascii('live')}
    0004 ${ascii('type')}     02 000a ${ascii('nonprivate')}
    0008 ${ascii('flashVer')} 02 0024 ${ascii('FMLE/3.0 (compatible; Lavf59.27.100)')}
    0005 ${ascii('tcUrl')}    02 001a ${ascii('rtmp://127.0.0.1:1935/live')}
  0000 09`);

/** OBS (librtmp with Enhanced RTMP): adds swfUrl and a fourCcList strict array. */
const OBS_CONNECT = hex(`
  02 0007 ${ascii('connect')}
  00 3ff0000000000000
  03
    0003 ${ascii('app')}        02 0004 ${ascii('live')}
    0004 ${ascii('type')}       02 000a ${ascii('nonprivate')}
    0008 ${ascii('flashVer')}   02 001f ${ascii('FMLE/3.0 (compatible; FMSc/1.0)')}
    0006 ${ascii('swfUrl')}     02 001a ${ascii('rtmp://127.0.0.1:1935/live')}
    0005 ${ascii('tcUrl')}      02 001a ${ascii('rtmp://127.0.0.1:1935/live')}
    000a ${ascii('fourCcList')} 0a 00000004
      02 0004 ${ascii('av01')} 02 0004 ${ascii('vp09')} 02 0004 ${ascii('hvc1')} 02 0004 ${ascii('avc1')}
  0000 09`);

/** @setDataFrame/onMetaData whose ECMA array declares count 0, as some encoders write it. */
const METADATA_COUNT_ZERO = hex(`
  02 000d ${ascii('@setDataFrame')}
  02 000a ${ascii('onMetaData')}
  08 00000000                                           # wrong count: 5 entries follow
    0008 ${ascii('duration')}     00 0000000000000000
    0005 ${ascii('width')}        00 4094000000000000     # 1280
    0006 ${ascii('height')}       00 4086800000000000     # 720
    000c ${ascii('videocodecid')} 00 401c000000000000     # 7 (AVC)
    0007 ${ascii('encoder')}      02 000d ${ascii('Lavf59.27.100')}
  0000 09`);

const ffmpegValue = ['connect', 1, obj({
  app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)', tcUrl: 'rtmp://127.0.0.1:1935/live',
})];
const obsValue = ['connect', 1, obj({
  app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', swfUrl: 'rtmp://127.0.0.1:1935/live',
  tcUrl: 'rtmp://127.0.0.1:1935/live', fourCcList: ['av01', 'vp09', 'hvc1', 'avc1'],
})];
const metaEntries = { duration: 0, width: 1280, height: 720, videocodecid: 7, encoder: 'Lavf59.27.100' };

test('ffmpeg connect body decodes and re-encodes byte for byte', () => {
  assert.deepStrictEqual(decodeAmf0(FFMPEG_CONNECT), ffmpegValue);
  assert.deepStrictEqual(encodeAmf0(...ffmpegValue), FFMPEG_CONNECT);
});

test('OBS enhanced-RTMP connect body decodes and re-encodes byte for byte', () => {
  assert.deepStrictEqual(decodeAmf0(OBS_CONNECT), obsValue);
  assert.deepStrictEqual(encodeAmf0(...obsValue), OBS_CONNECT);
});

test('onMetaData ECMA array with a wrong count is read up to its end marker', () => {
  assert.deepStrictEqual(decodeAmf0(METADATA_COUNT_ZERO), ['@setDataFrame', 'onMetaData', obj(metaEntries)]);
  const fixed = encodeAmf0('@setDataFrame', 'onMetaData', new EcmaArray(metaEntries));
  assert.equal(fixed.readUInt32BE(0x1e), 5); // the relay writes the true count
  assert.deepStrictEqual(fixed.subarray(0x22), METADATA_COUNT_ZERO.subarray(0x22));
});

test('decodeAmf3CommandBody skips the type-17 format byte', () => {
  const body = Buffer.concat([Buffer.from([0]), FFMPEG_CONNECT]);
  assert.deepStrictEqual(decodeAmf3CommandBody(body), ffmpegValue);
  assert.deepStrictEqual(decodeAmf3CommandBody(FFMPEG_CONNECT), ffmpegValue);
});

test('decodeAmf0Value walks a body value by value', () => {
  const ctx = createAmfContext();
  const first = decodeAmf0Value(FFMPEG_CONNECT, 0, ctx);
  assert.deepStrictEqual(first, { value: 'connect', offset: 10 });
  assert.deepStrictEqual(decodeAmf0Value(FFMPEG_CONNECT, first.offset, ctx), { value: 1, offset: 19 });
});

// ---- hostile input -------------------------------------------------------------

test('every truncation of real bodies throws ProtocolError unless it ends on a value boundary', () => {
  for (const body of [FFMPEG_CONNECT, OBS_CONNECT, METADATA_COUNT_ZERO]) {
    const boundaries = new Set<number>([0]);
    const ctx = createAmfContext();
    for (let p = 0; p < body.length; ) boundaries.add((p = decodeAmf0Value(body, p, ctx).offset));
    for (let cut = 0; cut < body.length; cut++) {
      const part = Buffer.from(body.subarray(0, cut));
      if (boundaries.has(cut)) decodeAmf0(part);
      else throwsCode(() => decodeAmf0(part), 'AMF_TRUNCATED');
    }
  }
});

test('nesting 10,000 deep stops at maxDepth without overflowing the stack', () => {
  for (const open of ['03 0001 61', '0a 00000001', '08 00000000 0001 61']) {
    throwsCode(() => decodeAmf0(hex(open.repeat(10_000))), 'AMF_LIMIT', /maxDepth/);
  }
  // AMF0 containers then an avmplus switch into AMF3 arrays share one depth count.
  throwsCode(() => decodeAmf0(hex('0a 00000001'.repeat(20) + '11' + '09 03 01'.repeat(20) + '01')), 'AMF_LIMIT', /maxDepth/);
  const ok = hex('0a 00000001'.repeat(32) + '05');
  assert.doesNotThrow(() => decodeAmf0(ok));
  throwsCode(() => decodeAmf0(hex('0a 00000001'.repeat(33) + '05')), 'AMF_LIMIT', /maxDepth/);
});

test('declared lengths and counts are checked before allocation', () => {
  throwsCode(() => decodeAmf0(hex('0c ffffffff 6162')), 'AMF_TRUNCATED', /4294967295 bytes, 2 remain/);
  throwsCode(() => decodeAmf0(hex('0f ffffffff')), 'AMF_TRUNCATED');
  throwsCode(() => decodeAmf0(hex('02 ffff 61')), 'AMF_TRUNCATED', /65535 bytes, 1 remain/);
  throwsCode(() => decodeAmf0(hex('0a ffffffff 05')), 'AMF_TRUNCATED', /4294967295 elements/);
  throwsCode(() => decodeAmf0(hex('08 ffffffff')), 'AMF_TRUNCATED');
  throwsCode(() => decodeAmf0(hex('08 ffffffff 0001 61 05')), 'AMF_TRUNCATED');
  assert.deepStrictEqual(decodeAmf0(hex('08 ffffffff 0000 09')), [obj({})]); // the count is only a hint
});

test('limits: maxStringBytes, maxKeys, maxValues, maxTotalBytes', () => {
  throwsCode(() => decodeAmf0(encodeAmf0('x'.repeat(11)), { maxStringBytes: 10 }), 'AMF_LIMIT', /maxStringBytes/);
  const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, i]));
  throwsCode(() => decodeAmf0(encodeAmf0(many), { maxKeys: 4 }), 'AMF_LIMIT', /maxKeys/);
  throwsCode(() => decodeAmf0(encodeAmf0(new Array(10_001).fill(null))), 'AMF_LIMIT', /maxValues/);
  throwsCode(() => decodeAmf0(encodeAmf0('abc', 'def'), { maxTotalBytes: 5 }), 'AMF_LIMIT', /maxTotalBytes/);
});

test('references are charged at full size: a reference bomb hits AMF_LIMIT', () => {
  // value i = {a: ref(i-1), b: ref(i-1)}: 2^i nodes when walked as a tree.
  let body = '03 0001 61 05 0000 09';
  for (let i = 1; i < 20; i++) body += `03 0001 61 07 ${(i - 1).toString(16).padStart(4, '0')} 0001 62 07 ${(i - 1).toString(16).padStart(4, '0')} 0000 09`;
  throwsCode(() => decodeAmf0(hex(body)), 'AMF_LIMIT', /maxValues/);
  // A chain of references deeper than maxDepth once expanded.
  let chain = '03 0000 09';
  for (let i = 1; i < 40; i++) chain += `03 0001 61 07 ${(i - 1).toString(16).padStart(4, '0')} 0000 09`;
  throwsCode(() => decodeAmf0(hex(chain)), 'AMF_LIMIT', /maxDepth/);
});

test('bad references: not yet seen, out of range, cyclic', () => {
  throwsCode(() => decodeAmf0(hex('07 0000')), 'AMF_BAD_REFERENCE', /only 0 seen/);
  throwsCode(() => decodeAmf0(hex('03 0000 09 07 0001')), 'AMF_BAD_REFERENCE');
  throwsCode(() => decodeAmf0(hex('03 0001 61 07 0000 0000 09')), 'AMF_BAD_REFERENCE', /cycle/);
});

test('bad and rejected markers', () => {
  throwsCode(() => decodeAmf0(hex('09')), 'AMF_BAD_MARKER', /object-end/);
  throwsCode(() => decodeAmf0(hex('03 0001 61 09')), 'AMF_BAD_MARKER', /offset 4/);
  throwsCode(() => decodeAmf0(hex('04')), 'AMF_UNSUPPORTED', /movieclip/);
  throwsCode(() => decodeAmf0(hex('0e')), 'AMF_UNSUPPORTED', /recordset/);
  throwsCode(() => decodeAmf0(hex('12')), 'AMF_BAD_MARKER', /0x12/);
  throwsCode(() => decodeAmf0(hex('ff')), 'AMF_BAD_MARKER');
});

test('a wire key __proto__ is an own property and pollutes nothing', () => {
  const bytes = hex(`03 0009 ${ascii('__proto__')} 03 0006 ${ascii('polled')} 01 01 0000 09 0000 09`);
  const [v] = decodeAmf0(bytes) as Record<string, unknown>[];
  assert.equal(Object.getPrototypeOf(v), null);
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.deepStrictEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polled, undefined);
  assert.equal((v as { polled?: unknown }).polled, undefined);
  const [ecma] = decodeAmf0(hex(`08 00000001 0009 ${ascii('__proto__')} 05 0000 09`)) as object[];
  assert.equal(Object.getPrototypeOf(ecma), null);
});

/** mulberry32: small seeded PRNG so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random and mutated bodies only ever throw ProtocolError and never change the input', () => {
  const rand = rng(0x5eed);
  const seeds = [FFMPEG_CONNECT, OBS_CONNECT, METADATA_COUNT_ZERO];
  for (let i = 0; i < 6000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) {
      buf = Buffer.alloc(Math.floor(rand() * 96));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      if (buf.length > 0 && rand() < 0.7) buf[0] = Math.floor(rand() * 0x12); // mostly valid first markers
    } else {
      buf = Buffer.from(seeds[i % 3]);
      for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    }
    const before = Buffer.from(buf);
    try {
      decodeAmf0(buf);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `buffer ${before.toString('hex')} threw ${String(e)}`);
    }
    assert.deepStrictEqual(buf, before);
  }
});
