/**
 * A mutation arbitrary for fast-check: real inputs (captured sessions,
 * generated files) changed by a few byte-level edits, the way a damaged disk,
 * a buggy camera or an attacker would change them. Shrinking works on the
 * edit list, so a failure shrinks towards the fewest, smallest edits.
 */
import fc from 'fast-check';

export type Mutation =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; byte: number }
  | { op: 'insert'; pos: number; bytes: Uint8Array }
  | { op: 'delete'; pos: number; len: number }
  | { op: 'duplicate'; pos: number; len: number; to: number }
  | { op: 'truncate'; pos: number }
  /** overwrite a 1..4 byte big-endian field with a boundary value: where length fields live */
  | { op: 'field'; pos: number; width: 1 | 2 | 3 | 4; value: number }
  /** copy a run of another seed into this one */
  | { op: 'splice'; seed: number; from: number; len: number; to: number };

/** Values that break length and count checks (0, 1, sign bits, all-ones, "just past"). */
const BOUNDARY = [0, 1, 2, 3, 4, 7, 8, 9, 11, 15, 16, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffff, 0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Positions: biased to the first bytes (headers), but anywhere in a long input. Taken modulo the length when applied. */
const position = fc.oneof({ weight: 2, arbitrary: fc.nat(63) }, { weight: 3, arbitrary: fc.nat() });

function mutationArb(seedCount: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constant('flip' as const), pos: position, bit: fc.nat(7) }),
    fc.record({ op: fc.constant('set' as const), pos: position, byte: fc.nat(255) }),
    fc.record({ op: fc.constant('insert' as const), pos: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ op: fc.constant('delete' as const), pos: position, len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('duplicate' as const), pos: position, len: fc.integer({ min: 1, max: 256 }), to: position }),
    fc.record({ op: fc.constant('truncate' as const), pos: position }),
    fc.record({
      op: fc.constant('field' as const),
      pos: position,
      width: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat()),
    }),
    fc.record({ op: fc.constant('splice' as const), seed: fc.nat(Math.max(0, seedCount - 1)), from: fc.nat(), len: fc.integer({ min: 1, max: 512 }), to: position }),
  );
}

/** Applies edits to a copy of `input`; never modifies it. */
export function applyMutations(input: Buffer, edits: readonly Mutation[], seeds: readonly Buffer[]): Buffer {
  let b = Buffer.from(input);
  for (const m of edits) {
    const at = (p: number) => (b.length === 0 ? 0 : p % (b.length + 1));
    switch (m.op) {
      case 'flip':
        if (b.length > 0) b[m.pos % b.length] ^= 1 << m.bit;
        break;
      case 'set':
        if (b.length > 0) b[m.pos % b.length] = m.byte;
        break;
      case 'insert': {
        const p = at(m.pos);
        b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p)]);
        break;
      }
      case 'delete': {
        const p = at(m.pos);
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.len)]);
        break;
      }
      case 'duplicate': {
        const p = at(m.pos);
        const run = b.subarray(p, p + m.len);
        const to = at(m.to);
        b = Buffer.concat([b.subarray(0, to), run, b.subarray(to)]);
        break;
      }
      case 'truncate':
        b = b.subarray(0, at(m.pos));
        break;
      case 'field': {
        if (b.length < m.width) break;
        const p = m.pos % (b.length - m.width + 1);
        b.writeUIntBE(m.value % 2 ** (8 * m.width), p, m.width);
        break;
      }
      case 'splice': {
        const src = seeds[m.seed % seeds.length];
        if (!src || src.length === 0) break;
        const from = m.from % src.length;
        const to = at(m.to);
        b = Buffer.concat([b.subarray(0, to), src.subarray(from, from + m.len), b.subarray(to)]);
        break;
      }
    }
  }
  return b;
}

/**
 * Bytes for a parser: mostly mutated seeds, some untouched seeds, some pure
 * random bytes (to reach paths no seed starts near).
 */
export function bytesFrom(seeds: readonly Buffer[], opts: { maxRandom?: number; maxEdits?: number } = {}): fc.Arbitrary<Buffer> {
  if (seeds.length === 0) throw new Error('bytesFrom needs at least one seed');
  const mutated = fc
    .record({ seed: fc.nat(seeds.length - 1), edits: fc.array(mutationArb(seeds.length), { minLength: 1, maxLength: opts.maxEdits ?? 6 }) })
    .map(({ seed, edits }) => applyMutations(seeds[seed], edits, seeds));
  const random = fc.uint8Array({ maxLength: opts.maxRandom ?? 512 }).map((u) => Buffer.from(u.buffer, u.byteOffset, u.length));
  const pristine = fc.nat(seeds.length - 1).map((i) => seeds[i]);
  return fc.oneof({ weight: 14, arbitrary: mutated }, { weight: 1, arbitrary: pristine }, { weight: 5, arbitrary: random });
}

/**
 * A piece size for feeding an incremental parser, derived from the bytes so a
 * saved input replays exactly: 1..64, or a larger odd size for long inputs.
 */
export function pieceSize(b: Buffer): number {
  const h = (b.length * 2654435761 + (b[0] ?? 0) * 40503 + (b[b.length >> 1] ?? 0)) >>> 0;
  return h % 4 === 0 ? 1 + ((h >>> 4) % 4096) : 1 + ((h >>> 4) % 64);
}

/** Cuts `b` into pieces of `size` bytes (the last may be shorter). */
export function cut(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < b.length; off += size) out.push(b.subarray(off, off + size));
  return out;
}

/** ISO BMFF boxes that hold other boxes (the ones our files and readers use). */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'dinf', 'edts']);

/** Every box in an MP4 buffer, containers opened, [start, end) clipped to the buffer. */
export function mp4Boxes(b: Buffer, start = 0, end = b.length, depth = 0, out: { start: number; end: number; type: string }[] = []) {
  let p = start;
  while (p + 8 <= end && depth < 8) {
    const size = b.readUInt32BE(p);
    const type = b.toString('latin1', p + 4, p + 8);
    const boxEnd = size < 8 ? end : Math.min(end, p + size);
    out.push({ start: p, end: boxEnd, type });
    if (CONTAINERS.has(type)) mp4Boxes(b, p + 8, boxEnd, depth + 1, out);
    // stsd: a full box whose sample entries hold avcC/hvcC/esds after their fixed fields
    if (type === 'stsd' && p + 16 < boxEnd) out.push({ start: p + 16, end: boxEnd, type: 'entry' });
    p = boxEnd;
  }
  return out;
}

interface BoxEdit {
  box: number;
  /** 32-bit word within the box, from its header on */
  word: number;
  width: 1 | 2 | 4;
  value: number;
}

/**
 * Structure-aware MP4 mutations: overwrite a header or field word of a chosen
 * box (size, version/flags, counts, offsets) with a boundary value. Random
 * byte edits rarely hit two related fields of one box at once; these do.
 */
export function mp4FieldEdits(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.record({
    box: fc.nat(),
    word: fc.nat(9),
    width: fc.constantFrom(1 as const, 2 as const, 4 as const),
    value: fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat()),
  });
  return fc.record({ seed: fc.nat(seeds.length - 1), edits: fc.array(edit, { minLength: 1, maxLength: 4 }), more: fc.array(mutationArb(seeds.length), { maxLength: 2 }) }).map(({ seed, edits, more }) => {
    const b = Buffer.from(seeds[seed]);
    const boxes = mp4Boxes(b);
    for (const e of edits as BoxEdit[]) {
      if (boxes.length === 0) break;
      const box = boxes[e.box % boxes.length];
      const pos = box.start + 4 * e.word + (4 - e.width);
      if (pos + e.width <= b.length) b.writeUIntBE(e.value % 2 ** (8 * e.width), pos, e.width);
    }
    return applyMutations(b, more, seeds);
  });
}
