/**
 * What a fuzz target is, and the property every parser target shares: for
 * any input the parser returns a result or throws the project's bounded
 * error (ProtocolError, with a code). Anything else (TypeError, RangeError
 * from an out-of-bounds read, a stack overflow, a case that takes seconds)
 * is a bug.
 */
import { isDeepStrictEqual } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { EcmaArray } from '../../src/rtmp/amf0.js';

export interface FuzzTarget<T = unknown> {
  name: string;
  /** one line for the table */
  what: string;
  arbitrary(): fc.Arbitrary<T>;
  /** Throws (an assertion or the parser's own non-bounded error) on a bug. */
  run(input: T): void | Promise<void>;
  async?: boolean;
  /** share of the long run's cases, relative (default 1) */
  weight?: number;
  /** saved vectors: raw bytes for byte targets, v8-serialized otherwise */
  save(input: T): Buffer;
  load(bytes: Buffer): T;
}

/** A parser target whose input is one Buffer (saved as itself). */
export function byteTarget(t: Omit<FuzzTarget<Buffer>, 'save' | 'load'>): FuzzTarget<Buffer> {
  return { ...t, save: (b) => b, load: (b) => b } as FuzzTarget<Buffer>;
}

/** A target with structured input (round trips), saved with v8.serialize. */
export function valueTarget<T>(t: Omit<FuzzTarget<T>, 'save' | 'load'>): FuzzTarget<T> {
  return { ...t, save: (v) => serialize(mapClasses(v, true)), load: (b) => mapClasses(deserialize(b), false) as T } as FuzzTarget<T>;
}

/** v8.serialize keeps no classes: EcmaArray travels as a one-entry Map (no input holds a Map otherwise). */
function mapClasses(v: unknown, saving: boolean): unknown {
  if (saving && v instanceof EcmaArray) return new Map([['EcmaArray', mapClasses(v.entries, true)]]);
  if (!saving && v instanceof Map && v.has('EcmaArray')) return new EcmaArray(mapClasses(v.get('EcmaArray'), false) as Record<string, unknown>);
  if (Array.isArray(v)) return v.map((x) => mapClasses(x, saving));
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: mapClasses(x, saving), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

export type Outcome<R> = { ok: true; value: R } | { ok: false; code: string };

/** Runs fn; a ProtocolError is an outcome, anything else propagates (a bug). */
export function bounded<R>(fn: () => R): Outcome<R> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code };
    throw err;
  }
}

export async function boundedAsync<R>(fn: () => Promise<R>): Promise<Outcome<R>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code };
    throw err;
  }
}

export class PropertyViolation extends Error {
  override name = 'PropertyViolation';
}

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new PropertyViolation(message);
}

export function same(a: unknown, b: unknown, message: string): void {
  if (!isDeepStrictEqual(a, b)) throw new PropertyViolation(`${message}: ${short(a)} !== ${short(b)}`);
}

function short(v: unknown): string {
  const s = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

/** Parsers never modify their input: run fn on `input` and compare with a copy taken before. */
export function unmodified<R>(input: Buffer, fn: () => R): R {
  const before = Buffer.from(input);
  const r = fn();
  check(before.equals(input), 'the parser modified its input');
  return r;
}

/**
 * A case slower than this is a bug (super-linear work on hostile input). Cases take
 * well under 0.3 s (the largest, a dialogue with 130 KB strings, ~60 ms); the margin
 * is for a 2-core machine running 8x oversubscribed.
 */
export const SLOW_CASE_MS = 10_000;

export function property<T>(target: FuzzTarget<T>, onCase?: () => void): fc.IRawProperty<[T], boolean> {
  const timed = (ms: number) => {
    if (ms > SLOW_CASE_MS) throw new PropertyViolation(`one case took ${Math.round(ms)} ms (limit ${SLOW_CASE_MS})`);
  };
  if (target.async) {
    return fc.asyncProperty(target.arbitrary(), async (input) => {
      onCase?.();
      const t0 = performance.now();
      await target.run(input);
      timed(performance.now() - t0);
    }) as unknown as fc.IRawProperty<[T], boolean>;
  }
  return fc.property(target.arbitrary(), (input) => {
    onCase?.();
    const t0 = performance.now();
    target.run(input);
    timed(performance.now() - t0);
  }) as unknown as fc.IRawProperty<[T], boolean>;
}
