/**
 * AMF0 / AMF3 targets. Decoding: any bytes give values or a ProtocolError,
 * and the values, walked as a tree (references at full size), stay inside
 * the limits (amf-limits.ts promises that a tiny body cannot expand into a
 * huge graph). Encoding: encode -> decode gives back what was encoded.
 */
import fc from 'fast-check';
import { decodeAmf0, decodeAmf3CommandBody, EcmaArray, encodeAmf0, type AmfLimits } from '../../src/rtmp/amf0.js';
import { decodeAmf3, encodeAmf3 } from '../../src/rtmp/amf3.js';
import { corpus } from './corpus.js';
import { bytesFrom } from './mutate.js';
import { bounded, byteTarget, check, PropertyViolation, same, unmodified, valueTarget, type FuzzTarget } from './target.js';

/** Small limits so that fuzzing reaches them. */
const LIMITS: AmfLimits = { maxDepth: 6, maxValues: 300, maxStringBytes: 400, maxKeys: 40, maxTotalBytes: 3000 };

/** Counts values and nesting as the limits define them; stops as soon as a limit is passed. */
function walkWithin(values: unknown[], limits: AmfLimits): void {
  let count = 0;
  const visit = (v: unknown, depth: number): void => {
    count++;
    if (count > limits.maxValues) throw new PropertyViolation(`decoded values walk to more than maxValues=${limits.maxValues}`);
    if (v === null || typeof v !== 'object' || v instanceof Date || Buffer.isBuffer(v)) return;
    if (depth + 1 > limits.maxDepth) throw new PropertyViolation(`decoded values nest deeper than maxDepth=${limits.maxDepth}`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) visit(child, depth + 1);
  };
  for (const v of values) visit(v, 0);
}

type Decode = (b: Buffer, l?: Partial<AmfLimits>) => unknown[];

function decodeTarget(name: string, what: string, seeds: () => Buffer[], decoders: Decode[]) {
  return byteTarget({
    name,
    what,
    weight: 2,
    arbitrary: () => bytesFrom(seeds(), { maxRandom: 600 }),
    run(input) {
      unmodified(input, () => {
        for (const decode of decoders) {
          bounded(() => decode(input)); // default limits
          const small = bounded(() => decode(input, LIMITS));
          if (small.ok) walkWithin(small.value, LIMITS);
        }
      });
    },
  });
}

const amf0Decode = decodeTarget('amf0-decode', 'decodeAmf0 / AMF3 command bodies: captured command and metadata bodies, mutated', () => corpus().amf0, [decodeAmf0, decodeAmf3CommandBody]);

const amf3Decode = decodeTarget('amf3-decode', 'decodeAmf3: encoded values incl. references and traits, mutated', () => corpus().amf3, [decodeAmf3]);

/** A comparable form: prototypes, EcmaArray wrappers and Buffer/Uint8Array differences removed. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return { date: v.getTime() };
  if (v instanceof EcmaArray) return normalize(v.entries);
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, normalize(x)]);
  return v;
}

const text = fc.oneof({ weight: 20, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 65_530, max: 70_000 }).map((n) => 'é'.repeat(n >> 1)) });
const date = fc.oneof(fc.date(), fc.constant(new Date(NaN)));

export const amf0Values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.boolean(),
    text,
    fc.constant(null),
    fc.constant(undefined),
    date,
    tie('array'),
    tie('object'),
    tie('ecma'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ecma: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 }).map((d) => new EcmaArray(d)),
})).value;

const amf0RoundTrip = valueTarget<unknown[]>({
  name: 'amf0-roundtrip',
  what: 'encodeAmf0 -> decodeAmf0 (numbers incl. NaN/-0, long strings, dates, nested objects/arrays/ECMA arrays)',
  arbitrary: () => fc.array(amf0Values, { minLength: 1, maxLength: 4 }),
  run(values) {
    const encoded = encodeAmf0(...values);
    same(normalize(decodeAmf0(encoded)), normalize(values), 'AMF0 decode(encode(v)) differs');
  },
});

const amf3Values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double(),
    fc.integer({ min: -0x10000000, max: 0x0fffffff }),
    fc.boolean(),
    text,
    fc.constantFrom('repeated', 'key'),
    fc.constant(null),
    fc.constant(undefined),
    date,
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.constantFrom('repeated', 'key')), tie('value'), { maxKeys: 5 }),
})).value;

const amf3RoundTrip = valueTarget<unknown[]>({
  name: 'amf3-roundtrip',
  what: 'encodeAmf3 -> decodeAmf3 (integers vs doubles, string references, byte arrays, dates, nesting)',
  arbitrary: () => fc.array(amf3Values, { minLength: 1, maxLength: 4 }),
  run(values) {
    const encoded = encodeAmf3(...values);
    same(normalize(decodeAmf3(encoded)), normalize(values), 'AMF3 decode(encode(v)) differs');
    // the same values behind the avmplus marker of an AMF0 body
    const viaAmf0 = Buffer.concat(values.map((v) => Buffer.concat([Buffer.from([0x11]), encodeAmf3(v)])));
    check(decodeAmf0(viaAmf0).length === values.length, 'avmplus-switched values lost');
  },
});

export const amfTargets: FuzzTarget<never>[] = [amf0Decode, amf3Decode, amf0RoundTrip, amf3RoundTrip] as FuzzTarget<never>[];
