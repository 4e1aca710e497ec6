/**
 * Limits and shared decoding state for the AMF0/AMF3 decoders.
 *
 * Every count a peer declares is checked here against the bytes that remain
 * and against these limits before anything is allocated. References (AMF0
 * 2.9, AMF3 3.x "reference tables") are charged at the full size of what they
 * point to, so the decoded value, walked as a tree, always respects the
 * limits: a tiny body cannot expand into a huge graph for whoever logs it.
 */
import { ProtocolError } from '../errors.js';

export interface AmfLimits {
  /** Nesting levels of containers (objects, arrays). */
  maxDepth: number;
  /** Values decoded per decode call, references counted at full size. */
  maxValues: number;
  /** Bytes in one string, long string, XML document or AMF3 byte array. */
  maxStringBytes: number;
  /** Keys in one object / ECMA array / AMF3 object or associative array. */
  maxKeys: number;
  /** String and byte-array bytes per decode call, references at full size. */
  maxTotalBytes: number;
}

export const DEFAULT_AMF_LIMITS: Readonly<AmfLimits> = Object.freeze({
  maxDepth: 32,
  maxValues: 10_000,
  maxStringBytes: 1024 * 1024,
  maxKeys: 4096,
  maxTotalBytes: 16 * 1024 * 1024,
});

/** A complex value in a reference table, with what it cost to decode. */
export interface RefEntry {
  value: unknown;
  /** False while its members are still being decoded (a reference then is a cycle). */
  done: boolean;
  values: number;
  bytes: number;
  /** Nesting levels the value occupies (1 for a flat object). */
  height: number;
}

/** Cost bookkeeping saved when a container starts, see openRef / closeRef. */
export interface RefMark {
  entry: RefEntry;
  values: number;
  bytes: number;
  deepest: number;
  level: number;
}

/** AMF3 reference tables (AMF3 spec: strings, objects, traits). */
export interface Amf3Tables {
  strings: { value: string; bytes: number }[];
  objects: RefEntry[];
  traits: Amf3Traits[];
}

export interface Amf3Traits {
  className: string;
  dynamic: boolean;
  sealed: string[];
}

export interface AmfContext {
  limits: AmfLimits;
  depth: number;
  /** Deepest nesting level reached so far (for reference heights). */
  deepest: number;
  values: number;
  bytes: number;
  amf0Refs: RefEntry[];
  amf3: Amf3Tables;
}

export function createAmfContext(limits?: Partial<AmfLimits>): AmfContext {
  return {
    limits: { ...DEFAULT_AMF_LIMITS, ...limits },
    depth: 0,
    deepest: 0,
    values: 0,
    bytes: 0,
    amf0Refs: [],
    amf3: newAmf3Tables(),
  };
}

export function newAmf3Tables(): Amf3Tables {
  return { strings: [], objects: [], traits: [] };
}

export function limitError(name: keyof AmfLimits, detail: string): ProtocolError {
  return new ProtocolError('AMF_LIMIT', `AMF ${detail} exceeds ${name}`);
}

/** Throws AMF_TRUNCATED unless `n` bytes are available at `offset`. */
export function need(buf: Buffer, offset: number, n: number, what: string): void {
  if (offset + n > buf.length) {
    const remain = Math.max(0, buf.length - offset);
    throw new ProtocolError(
      'AMF_TRUNCATED',
      `${what} at offset ${offset} needs ${n} bytes, ${remain} remain`,
    );
  }
}

export interface Decoded {
  value: unknown;
  offset: number;
}

/** Reads `len` declared UTF-8 bytes, checking what remains and the limits first. */
export function readUtf8(buf: Buffer, offset: number, len: number, ctx: AmfContext, what: string): string {
  if (offset + len > buf.length) {
    throw new ProtocolError('AMF_TRUNCATED',
      `${what} at offset ${offset} declares ${len} bytes, ${buf.length - offset} remain`);
  }
  chargeBytes(ctx, len, offset, what);
  return buf.toString('utf8', offset, offset + len);
}

/** Counts `n` decoded values against maxValues. */
export function chargeValues(ctx: AmfContext, n: number, offset: number): void {
  ctx.values += n;
  if (ctx.values > ctx.limits.maxValues) {
    throw limitError('maxValues', `value count ${ctx.values} at offset ${offset}`);
  }
}

/** Checks one declared string length, then charges it to maxTotalBytes. */
export function chargeBytes(ctx: AmfContext, n: number, offset: number, what: string): void {
  if (n > ctx.limits.maxStringBytes) {
    throw limitError('maxStringBytes', `${what} at offset ${offset} of ${n} bytes`);
  }
  chargeTotal(ctx, n, offset);
}

/** Counts bytes against maxTotalBytes (also for strings reached by reference). */
export function chargeTotal(ctx: AmfContext, n: number, offset: number): void {
  ctx.bytes += n;
  if (ctx.bytes > ctx.limits.maxTotalBytes) {
    throw limitError('maxTotalBytes', `total string bytes ${ctx.bytes} at offset ${offset}`);
  }
}

/** Declared element count: each element takes at least one byte, so compare first. */
export function checkCount(buf: Buffer, offset: number, count: number, what: string): void {
  const remain = buf.length - offset;
  if (count > remain) {
    throw new ProtocolError(
      'AMF_TRUNCATED',
      `${what} at offset ${offset} declares ${count} elements, ${remain} bytes remain`,
    );
  }
}

export function checkKeys(ctx: AmfContext, keys: number, offset: number, what: string): void {
  if (keys > ctx.limits.maxKeys) {
    throw limitError('maxKeys', `${what} at offset ${offset} with ${keys} keys`);
  }
}

/** Enters a container; returns its nesting level. */
export function enter(ctx: AmfContext, offset: number): number {
  ctx.depth += 1;
  if (ctx.depth > ctx.limits.maxDepth) {
    throw limitError('maxDepth', `nesting level ${ctx.depth} at offset ${offset}`);
  }
  if (ctx.depth > ctx.deepest) ctx.deepest = ctx.depth;
  return ctx.depth;
}

export function leave(ctx: AmfContext): void {
  ctx.depth -= 1;
}

/**
 * Adds a container to a reference table before its members are read (both
 * specs number complex values in the order they begin). Call after enter().
 */
export function openRef(ctx: AmfContext, table: RefEntry[], value: unknown): RefMark {
  const entry: RefEntry = { value, done: false, values: 0, bytes: 0, height: 1 };
  table.push(entry);
  const mark = { entry, values: ctx.values, bytes: ctx.bytes, deepest: ctx.deepest, level: ctx.depth };
  ctx.deepest = ctx.depth;
  return mark;
}

/** Records what the finished container cost, for later references to it. */
export function closeRef(ctx: AmfContext, mark: RefMark): void {
  const { entry } = mark;
  entry.values = ctx.values - mark.values;
  entry.bytes = ctx.bytes - mark.bytes;
  entry.height = ctx.deepest - mark.level + 1;
  entry.done = true;
  if (mark.deepest > ctx.deepest) ctx.deepest = mark.deepest;
}

/** Resolves a reference index, charging the referenced value at full size. */
export function resolveRef(
  ctx: AmfContext,
  table: RefEntry[],
  index: number,
  offset: number,
  what: string,
): unknown {
  const entry = table[index];
  if (entry === undefined) {
    throw new ProtocolError(
      'AMF_BAD_REFERENCE',
      `${what} at offset ${offset} points to #${index}, only ${table.length} seen`,
    );
  }
  if (!entry.done) {
    // Only a cycle can reach an unfinished value; no RTMP client needs one.
    throw new ProtocolError(
      'AMF_BAD_REFERENCE',
      `${what} at offset ${offset} points to #${index} which is still being decoded (cycle)`,
    );
  }
  chargeValues(ctx, entry.values, offset);
  chargeTotal(ctx, entry.bytes, offset);
  const level = ctx.depth + entry.height;
  if (level > ctx.limits.maxDepth) {
    throw limitError('maxDepth', `${what} at offset ${offset} reaching nesting level ${level}`);
  }
  if (level > ctx.deepest) ctx.deepest = level;
  return entry.value;
}

/** Sets an own, enumerable property even for keys like `__proto__`. */
export function setKey(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Non-enumerable class name of a typed object (AMF0 0x10, AMF3 named traits). */
export const AMF_CLASS_NAME: unique symbol = Symbol('amf.className');

export function newObject(className?: string): Record<string, unknown> {
  const obj = Object.create(null) as Record<string, unknown>;
  if (className) Object.defineProperty(obj, AMF_CLASS_NAME, { value: className });
  return obj;
}
