/**
 * AMF3 decoder (Adobe "AMF 3 Specification", 2013) for avmplus-switched values
 * inside AMF0 bodies and for whole AMF3 buffers, plus a minimal encoder.
 * Section numbers below refer to that spec.
 */
import { NvrError, ProtocolError } from '../errors.js';
import {
  type AmfContext, type AmfLimits, type Amf3Traits, AMF_CLASS_NAME, chargeBytes, chargeTotal,
  chargeValues, checkCount, checkKeys, closeRef, createAmfContext, enter, leave, need, newObject,
  openRef, readUtf8, resolveRef, setKey, type Decoded,
} from './amf-limits.js';

// 3.1 type markers.
const UNDEFINED = 0x00, NULL = 0x01, FALSE = 0x02, TRUE = 0x03, INTEGER = 0x04, DOUBLE = 0x05;
const STRING = 0x06, XML_DOC = 0x07, DATE = 0x08, ARRAY = 0x09, OBJECT = 0x0a, XML = 0x0b;
const BYTE_ARRAY = 0x0c;
const UNSUPPORTED_NAMES: Record<number, string> = {
  0x0d: 'Vector.<int>', 0x0e: 'Vector.<uint>', 0x0f: 'Vector.<Number>',
  0x10: 'Vector.<Object>', 0x11: 'Dictionary',
};

/** 1.3.1: up to 3 bytes of 7 bits with a continuation flag, then one full byte. */
export function readU29(buf: Buffer, offset: number): { value: number; offset: number } {
  let value = 0;
  for (let i = 0; i < 3; i++) {
    need(buf, offset + i, 1, `AMF3 U29 started at offset ${offset}: byte`);
    const b = buf[offset + i];
    value = (value << 7) | (b & 0x7f);
    if ((b & 0x80) === 0) return { value, offset: offset + i + 1 };
  }
  need(buf, offset + 3, 1, `AMF3 U29 started at offset ${offset}: byte`);
  return { value: (value << 8) | buf[offset + 3], offset: offset + 4 };
}

/** 1.3.2 UTF-8-vr: low bit 0 is a string-table reference; "" is never stored. */
function readString(buf: Buffer, offset: number, ctx: AmfContext, what: string): { value: string; offset: number } {
  const u = readU29(buf, offset);
  const table = ctx.amf3.strings;
  if ((u.value & 1) === 0) {
    const entry = table[u.value >> 1];
    if (entry === undefined) {
      throw new ProtocolError('AMF_BAD_REFERENCE',
        `AMF3 ${what} at offset ${offset} points to string #${u.value >> 1}, only ${table.length} seen`);
    }
    chargeTotal(ctx, entry.bytes, offset);
    return { value: entry.value, offset: u.offset };
  }
  const len = u.value >> 1;
  const value = readUtf8(buf, u.offset, len, ctx, `AMF3 ${what}`);
  if (len > 0) table.push({ value, bytes: len });
  return { value, offset: u.offset + len };
}

/** Decodes one AMF3 value at `offset`. Shares limits and counts with `ctx`. */
export function decodeAmf3Value(buf: Buffer, offset: number, ctx: AmfContext): Decoded {
  chargeValues(ctx, 1, offset);
  need(buf, offset, 1, 'AMF3 marker');
  const marker = buf[offset];
  const p = offset + 1;
  switch (marker) {
    case UNDEFINED: return { value: undefined, offset: p };
    case NULL: return { value: null, offset: p };
    case FALSE: return { value: false, offset: p };
    case TRUE: return { value: true, offset: p };
    case INTEGER: { // 3.6: 29-bit two's complement
      const u = readU29(buf, p);
      return { value: u.value & 0x10000000 ? u.value - 0x20000000 : u.value, offset: u.offset };
    }
    case DOUBLE:
      need(buf, p, 8, 'AMF3 double');
      return { value: buf.readDoubleBE(p), offset: p + 8 };
    case STRING: return readString(buf, p, ctx, 'string');
    case XML_DOC: case XML: case BYTE_ARRAY: return readBlob(buf, p, ctx, marker);
    case DATE: return readDate(buf, p, ctx);
    case ARRAY: return readArray(buf, p, ctx);
    case OBJECT: return readObject(buf, p, ctx);
    default: {
      const name = UNSUPPORTED_NAMES[marker];
      if (name) {
        throw new ProtocolError('AMF_UNSUPPORTED', `AMF3 ${name} (marker 0x${marker.toString(16)}) at offset ${offset} is not supported`);
      }
      throw new ProtocolError('AMF_BAD_MARKER', `AMF3 unknown marker 0x${marker.toString(16)} at offset ${offset}`);
    }
  }
}

/** 3.9, 3.13, 3.14: length-prefixed bytes that take an object-table slot. */
function readBlob(buf: Buffer, offset: number, ctx: AmfContext, marker: number): Decoded {
  const what = marker === BYTE_ARRAY ? 'AMF3 byte array' : 'AMF3 XML';
  const u = readU29(buf, offset);
  const table = ctx.amf3.objects;
  if ((u.value & 1) === 0) return { value: resolveRef(ctx, table, u.value >> 1, offset, what), offset: u.offset };
  const len = u.value >> 1;
  let value: string | Buffer;
  if (marker === BYTE_ARRAY) {
    need(buf, u.offset, len, what);
    chargeBytes(ctx, len, u.offset, what);
    value = Buffer.from(buf.subarray(u.offset, u.offset + len)); // a copy: never alias the input
  } else {
    value = readUtf8(buf, u.offset, len, ctx, what);
  }
  table.push({ value, done: true, values: 0, bytes: len, height: 0 });
  return { value, offset: u.offset + len };
}

/** 3.10: U29D flag (remaining bits unused) then milliseconds as a double. */
function readDate(buf: Buffer, offset: number, ctx: AmfContext): Decoded {
  const u = readU29(buf, offset);
  const table = ctx.amf3.objects;
  if ((u.value & 1) === 0) return { value: resolveRef(ctx, table, u.value >> 1, offset, 'AMF3 date'), offset: u.offset };
  need(buf, u.offset, 8, 'AMF3 date');
  const value = new Date(buf.readDoubleBE(u.offset));
  table.push({ value, done: true, values: 0, bytes: 0, height: 0 });
  return { value, offset: u.offset + 8 };
}

/**
 * 3.11: dense count, associative name/value pairs up to "", then dense values.
 * Without associative keys this is a JS array; with them, a null-prototype
 * object holding the keys and then the dense indices "0".."n-1".
 */
function readArray(buf: Buffer, offset: number, ctx: AmfContext): Decoded {
  const u = readU29(buf, offset);
  const table = ctx.amf3.objects;
  if ((u.value & 1) === 0) return { value: resolveRef(ctx, table, u.value >> 1, offset, 'AMF3 array'), offset: u.offset };
  const count = u.value >> 1;
  enter(ctx, offset);
  const mark = openRef(ctx, table, undefined);
  let p = u.offset;
  let assoc: Record<string, unknown> | undefined;
  for (let keys = 1; ; keys++) {
    const key = readString(buf, p, ctx, 'array key');
    p = key.offset;
    if (key.value === '') break;
    checkKeys(ctx, keys, offset, 'AMF3 array');
    const v = decodeAmf3Value(buf, p, ctx);
    p = v.offset;
    setKey((assoc ??= newObject()), key.value, v.value);
  }
  checkCount(buf, p, count, 'AMF3 array dense part');
  const dense: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const v = decodeAmf3Value(buf, p, ctx);
    p = v.offset;
    dense.push(v.value);
  }
  if (assoc) dense.forEach((v, i) => setKey(assoc!, String(i), v));
  mark.entry.value = assoc ?? dense;
  closeRef(ctx, mark);
  leave(ctx);
  return { value: mark.entry.value, offset: p };
}

/** 3.12: U29O flags select object ref, traits ref, externalizable or inline traits. */
function readObject(buf: Buffer, offset: number, ctx: AmfContext): Decoded {
  const u = readU29(buf, offset);
  const { objects, traits: traitsTable } = ctx.amf3;
  if ((u.value & 1) === 0) return { value: resolveRef(ctx, objects, u.value >> 1, offset, 'AMF3 object'), offset: u.offset };
  let p = u.offset;
  let traits: Amf3Traits;
  if ((u.value & 2) === 0) {
    const found = traitsTable[u.value >> 2];
    if (found === undefined) {
      throw new ProtocolError('AMF_BAD_REFERENCE',
        `AMF3 object at offset ${offset} points to traits #${u.value >> 2}, only ${traitsTable.length} seen`);
    }
    traits = found;
  } else if ((u.value & 4) !== 0) {
    const name = readString(buf, p, ctx, 'class name');
    throw new ProtocolError('AMF_UNSUPPORTED',
      `AMF3 externalizable object of class "${name.value}" at offset ${offset}: its format is private to the class`);
  } else {
    const sealedCount = u.value >>> 4;
    checkKeys(ctx, sealedCount, offset, 'AMF3 object traits');
    const name = readString(buf, p, ctx, 'class name');
    p = name.offset;
    checkCount(buf, p, sealedCount, 'AMF3 object traits');
    const sealed: string[] = [];
    for (let i = 0; i < sealedCount; i++) {
      const s = readString(buf, p, ctx, 'sealed member name');
      p = s.offset;
      sealed.push(s.value);
    }
    traits = { className: name.value, dynamic: (u.value & 8) !== 0, sealed };
    traitsTable.push(traits);
  }
  enter(ctx, offset);
  const obj = newObject(traits.className);
  const mark = openRef(ctx, objects, obj);
  for (const key of traits.sealed) {
    const v = decodeAmf3Value(buf, p, ctx);
    p = v.offset;
    setKey(obj, key, v.value);
  }
  if (traits.dynamic) {
    for (let keys = traits.sealed.length + 1; ; keys++) {
      const key = readString(buf, p, ctx, 'dynamic member name');
      p = key.offset;
      if (key.value === '') break;
      checkKeys(ctx, keys, offset, 'AMF3 object');
      const v = decodeAmf3Value(buf, p, ctx);
      p = v.offset;
      setKey(obj, key.value, v.value);
    }
  }
  closeRef(ctx, mark);
  leave(ctx);
  return { value: obj, offset: p };
}

/** Decodes every AMF3 value in `buf`, sharing one set of reference tables. */
export function decodeAmf3(buf: Buffer, limits?: Partial<AmfLimits>): unknown[] {
  const ctx = createAmfContext(limits);
  const out: unknown[] = [];
  for (let p = 0; p < buf.length; ) {
    const v = decodeAmf3Value(buf, p, ctx);
    out.push(v.value);
    p = v.offset;
  }
  return out;
}

// ---- encoder -------------------------------------------------------------

export function encodeError(message: string): NvrError {
  return new NvrError('AMF_ENCODE', message);
}

/** Plain data object: Object.prototype or null prototype (what the decoders return). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** 1.3.1, inverse of readU29. */
export function encodeU29(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0x1fffffff) throw encodeError(`AMF3 U29 out of range: ${value}`);
  if (value < 0x80) return [value];
  if (value < 0x4000) return [(value >> 7) | 0x80, value & 0x7f];
  if (value < 0x200000) return [(value >> 14) | 0x80, ((value >> 7) & 0x7f) | 0x80, value & 0x7f];
  return [(value >> 22) | 0x80, ((value >> 15) & 0x7f) | 0x80, ((value >> 8) & 0x7f) | 0x80, value & 0xff];
}

function double(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
}

/**
 * Minimal AMF3 encoder: undefined, null, booleans, numbers (integer marker
 * for 29-bit integers), strings (with string references), Date, Buffer as
 * ByteArray, arrays (dense only) and plain objects (anonymous, dynamic).
 */
export function encodeAmf3(...values: unknown[]): Buffer {
  const out: Buffer[] = [];
  const strings = new Map<string, number>();
  const ancestors = new Set<object>();
  const bytes = (...b: number[]) => void out.push(Buffer.from(b));
  const str = (s: string) => {
    const ref = strings.get(s);
    if (s === '' || ref !== undefined) return bytes(...encodeU29(s === '' ? 1 : ref! << 1));
    const utf8 = Buffer.from(s, 'utf8');
    bytes(...encodeU29((utf8.length << 1) | 1));
    out.push(utf8);
    strings.set(s, strings.size);
  };
  const write = (v: unknown): void => {
    if (v === undefined || v === null || typeof v === 'boolean') {
      return bytes(v === undefined ? UNDEFINED : v === null ? NULL : v ? TRUE : FALSE);
    }
    if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -0x10000000 && v < 0x10000000 && !Object.is(v, -0)) {
        return bytes(INTEGER, ...encodeU29(v & 0x1fffffff));
      }
      bytes(DOUBLE);
      return void out.push(double(v));
    }
    if (typeof v === 'string') return bytes(STRING), str(v);
    if (v instanceof Date) return bytes(DATE, 0x01), void out.push(double(v.getTime()));
    if (Buffer.isBuffer(v)) return bytes(BYTE_ARRAY, ...encodeU29((v.length << 1) | 1)), void out.push(Buffer.from(v));
    if (!Array.isArray(v) && !isPlainObject(v)) {
      throw encodeError(`AMF3 cannot encode ${typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v}`);
    }
    if (ancestors.has(v)) throw encodeError('AMF3 cannot encode a cyclic structure');
    ancestors.add(v);
    if (Array.isArray(v)) {
      bytes(ARRAY, ...encodeU29((v.length << 1) | 1), 0x01); // 0x01: empty associative part
      for (const item of v) write(item); // for-of: holes become undefined
    } else {
      bytes(OBJECT, 0x0b); // inline object, inline traits, dynamic, 0 sealed members
      const className = (v as Record<symbol, unknown>)[AMF_CLASS_NAME];
      str(typeof className === 'string' ? className : '');
      for (const [k, val] of Object.entries(v)) {
        if (k === '') throw encodeError('AMF3 cannot encode an empty dynamic member name');
        str(k);
        write(val);
      }
      bytes(0x01);
    }
    ancestors.delete(v);
  };
  for (const v of values) write(v);
  return Buffer.concat(out);
}
