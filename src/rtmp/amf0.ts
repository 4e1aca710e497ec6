/**
 * AMF0 codec (Adobe "Action Message Format -- AMF 0", 2007) for RTMP command
 * and data message bodies. Section numbers below refer to that spec.
 *
 * Decoded objects and ECMA arrays are null-prototype objects, so wire keys
 * such as `__proto__` or `constructor` are plain own properties.
 */
import { ProtocolError } from '../errors.js';
import {
  type AmfContext, type AmfLimits, type Decoded, AMF_CLASS_NAME, checkCount, checkKeys, closeRef,
  createAmfContext, enter, leave, need, newAmf3Tables, newObject, openRef, readUtf8, resolveRef,
  setKey, chargeValues,
} from './amf-limits.js';
import { decodeAmf3Value, encodeError, isPlainObject } from './amf3.js';

export {
  type AmfContext, type AmfLimits, type Decoded, AMF_CLASS_NAME, DEFAULT_AMF_LIMITS, createAmfContext,
} from './amf-limits.js';

// 2.1 type markers.
const NUMBER = 0x00, BOOLEAN = 0x01, STRING = 0x02, OBJECT = 0x03, MOVIECLIP = 0x04, NULL = 0x05;
const UNDEFINED = 0x06, REFERENCE = 0x07, ECMA_ARRAY = 0x08, OBJECT_END = 0x09, STRICT_ARRAY = 0x0a;
const DATE = 0x0b, LONG_STRING = 0x0c, UNSUPPORTED = 0x0d, RECORDSET = 0x0e, XML_DOCUMENT = 0x0f;
const TYPED_OBJECT = 0x10, AVMPLUS = 0x11;

/** Wrapper so encodeAmf0 writes an ECMA array (2.10), e.g. for onMetaData. */
export class EcmaArray {
  constructor(readonly entries: Record<string, unknown>) {}
}

/** Decodes every AMF0 value in `buf` (an RTMP command body is such a sequence). */
export function decodeAmf0(buf: Buffer, limits?: Partial<AmfLimits>): unknown[] {
  const ctx = createAmfContext(limits);
  const out: unknown[] = [];
  for (let p = 0; p < buf.length; ) {
    const v = decodeAmf0Value(buf, p, ctx);
    out.push(v.value);
    p = v.offset;
  }
  return out;
}

/**
 * RTMP AMF3 command (type 17) and data (type 15) bodies: a 0x00 format byte,
 * then AMF0 values that may switch to AMF3 with the avmplus marker. A body
 * that starts with any other byte is decoded as plain AMF0.
 */
export function decodeAmf3CommandBody(body: Buffer, limits?: Partial<AmfLimits>): unknown[] {
  return decodeAmf0(body.length > 0 && body[0] === 0x00 ? body.subarray(1) : body, limits);
}

/** Decodes one AMF0 value at `offset`. */
export function decodeAmf0Value(buf: Buffer, offset: number, ctx: AmfContext): Decoded {
  chargeValues(ctx, 1, offset);
  need(buf, offset, 1, 'AMF0 marker');
  const marker = buf[offset];
  const p = offset + 1;
  switch (marker) {
    case NUMBER: // 2.2: IEEE-754 double, big-endian
      need(buf, p, 8, 'AMF0 number');
      return { value: buf.readDoubleBE(p), offset: p + 8 };
    case BOOLEAN: // 2.3: one byte, non-zero is true
      need(buf, p, 1, 'AMF0 boolean');
      return { value: buf[p] !== 0, offset: p + 1 };
    case STRING: // 2.4: U16 length
      return readString(buf, p, 2, ctx, 'AMF0 string');
    case LONG_STRING: // 2.14: U32 length
      return readString(buf, p, 4, ctx, 'AMF0 long string');
    case XML_DOCUMENT: // 2.17: U32 length, returned as its text
      return readString(buf, p, 4, ctx, 'AMF0 XML document');
    case OBJECT: // 2.5: properties up to the end marker
      return readProps(buf, p, ctx, newObject(), offset, 'AMF0 object');
    case ECMA_ARRAY: // 2.10: the U32 count is only a hint; encoders send wrong counts
      need(buf, p, 4, 'AMF0 ECMA array count');
      return readProps(buf, p + 4, ctx, newObject(), offset, 'AMF0 ECMA array');
    case TYPED_OBJECT: { // 2.18: class name then properties; the name goes in a symbol
      const name = readString(buf, p, 2, ctx, 'AMF0 typed object class name');
      return readProps(buf, name.offset, ctx, newObject(name.value as string), offset, 'AMF0 typed object');
    }
    case STRICT_ARRAY: return readStrictArray(buf, p, ctx, offset);
    case NULL: return { value: null, offset: p }; // 2.7
    case UNDEFINED: case UNSUPPORTED: return { value: undefined, offset: p }; // 2.8, 2.15
    case REFERENCE: { // 2.9: U16 index into this body's complex objects
      need(buf, p, 2, 'AMF0 reference');
      const value = resolveRef(ctx, ctx.amf0Refs, buf.readUInt16BE(p), offset, 'AMF0 reference');
      return { value, offset: p + 2 };
    }
    case DATE: { // 2.13: double ms since epoch, then S16 time zone (reserved, ignored)
      need(buf, p, 10, 'AMF0 date');
      return { value: new Date(buf.readDoubleBE(p)), offset: p + 10 };
    }
    case AVMPLUS: // 3.1: the next value is AMF3, with fresh AMF3 reference tables
      ctx.amf3 = newAmf3Tables();
      return decodeAmf3Value(buf, p, ctx);
    case OBJECT_END:
      throw new ProtocolError('AMF_BAD_MARKER', `AMF0 object-end marker at offset ${offset} where a value was expected`);
    case MOVIECLIP: case RECORDSET: // 2.6, 2.16: reserved, never sent by RTMP clients
      throw new ProtocolError('AMF_UNSUPPORTED',
        `AMF0 ${marker === MOVIECLIP ? 'movieclip' : 'recordset'} marker at offset ${offset} is not supported`);
    default:
      throw new ProtocolError('AMF_BAD_MARKER', `AMF0 unknown marker 0x${marker.toString(16)} at offset ${offset}`);
  }
}

function readString(buf: Buffer, offset: number, lenBytes: 2 | 4, ctx: AmfContext, what: string): Decoded {
  need(buf, offset, lenBytes, `${what} length`);
  const len = lenBytes === 2 ? buf.readUInt16BE(offset) : buf.readUInt32BE(offset);
  const start = offset + lenBytes;
  return { value: readUtf8(buf, start, len, ctx, what), offset: start + len };
}

/** 2.5 object-property list: U16-length key, value; ends with "" and 0x09. */
function readProps(
  buf: Buffer, offset: number, ctx: AmfContext, obj: Record<string, unknown>, start: number, what: string,
): Decoded {
  enter(ctx, start);
  const mark = openRef(ctx, ctx.amf0Refs, obj);
  let p = offset;
  for (let keys = 1; ; keys++) {
    need(buf, p, 2, `${what} key length`);
    const len = buf.readUInt16BE(p);
    if (len === 0) {
      need(buf, p + 2, 1, `${what} end marker or value`);
      // An empty key followed by another marker is a real "" property.
      if (buf[p + 2] === OBJECT_END) {
        p += 3;
        break;
      }
    }
    const key = readUtf8(buf, p + 2, len, ctx, `${what} key`);
    checkKeys(ctx, keys, start, what);
    const v = decodeAmf0Value(buf, p + 2 + len, ctx);
    setKey(obj, key, v.value);
    p = v.offset;
  }
  closeRef(ctx, mark);
  leave(ctx);
  return { value: obj, offset: p };
}

/** 2.12: U32 count then that many values. */
function readStrictArray(buf: Buffer, offset: number, ctx: AmfContext, start: number): Decoded {
  need(buf, offset, 4, 'AMF0 strict array count');
  const count = buf.readUInt32BE(offset);
  let p = offset + 4;
  checkCount(buf, p, count, 'AMF0 strict array'); // every value takes at least one byte
  enter(ctx, start);
  const arr: unknown[] = [];
  const mark = openRef(ctx, ctx.amf0Refs, arr);
  for (let i = 0; i < count; i++) {
    const v = decodeAmf0Value(buf, p, ctx);
    arr.push(v.value);
    p = v.offset;
  }
  closeRef(ctx, mark);
  leave(ctx);
  return { value: arr, offset: p };
}

// ---- encoder -------------------------------------------------------------

/**
 * Encodes our own replies: number, boolean, string (long string past 65535
 * UTF-8 bytes), null, undefined, Date, arrays as strict arrays, EcmaArray,
 * plain objects (typed object when they carry AMF_CLASS_NAME). Anything else
 * (functions, symbols, bigints, class instances, cycles) throws AMF_ENCODE.
 */
export function encodeAmf0(...values: unknown[]): Buffer {
  const out: Buffer[] = [];
  const ancestors = new Set<object>();
  const bytes = (...b: number[]) => void out.push(Buffer.from(b));
  const u16 = (n: number) => bytes(n >> 8, n & 0xff);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    out.push(b);
  };
  const double = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(n);
    out.push(b);
  };
  const key = (k: string) => {
    const utf8 = Buffer.from(k, 'utf8');
    if (utf8.length > 0xffff) throw encodeError(`AMF0 key of ${utf8.length} bytes exceeds 65535`);
    u16(utf8.length);
    out.push(utf8);
  };
  const props = (obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) {
      key(k);
      write(v);
    }
    bytes(0x00, 0x00, OBJECT_END);
  };
  const nest = (v: object, body: () => void) => {
    if (ancestors.has(v)) throw encodeError('AMF0 cannot encode a cyclic structure');
    ancestors.add(v);
    body();
    ancestors.delete(v);
  };
  const write = (v: unknown): void => {
    if (v === null) return bytes(NULL);
    if (v === undefined) return bytes(UNDEFINED);
    if (typeof v === 'boolean') return bytes(BOOLEAN, v ? 1 : 0);
    if (typeof v === 'number') return bytes(NUMBER), double(v);
    if (typeof v === 'string') {
      const utf8 = Buffer.from(v, 'utf8');
      if (utf8.length > 0xffff) bytes(LONG_STRING), u32(utf8.length);
      else bytes(STRING), u16(utf8.length);
      return void out.push(utf8);
    }
    if (v instanceof Date) return bytes(DATE), double(v.getTime()), u16(0);
    if (v instanceof EcmaArray) {
      return nest(v.entries, () => {
        bytes(ECMA_ARRAY);
        u32(Object.keys(v.entries).length);
        props(v.entries);
      });
    }
    if (Array.isArray(v)) {
      return nest(v, () => {
        bytes(STRICT_ARRAY);
        u32(v.length);
        for (const item of v) write(item); // for-of: holes become undefined
      });
    }
    if (isPlainObject(v)) {
      return nest(v, () => {
        const className = (v as Record<symbol, unknown>)[AMF_CLASS_NAME];
        if (typeof className === 'string' && className !== '') bytes(TYPED_OBJECT), key(className);
        else bytes(OBJECT);
        props(v);
      });
    }
    const kind = typeof v === 'object' ? `${v.constructor?.name ?? 'object'} instance` : typeof v;
    throw encodeError(`AMF0 cannot encode a ${kind}`);
  };
  for (const v of values) write(v);
  return Buffer.concat(out);
}
