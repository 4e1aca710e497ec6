/**
 * Reading ISO BMFF box headers (ISO 14496-12 4.2) from untrusted bytes.
 * Every size is checked against the bytes actually there; nothing is
 * allocated from a declared size. A box that runs past the end of the data
 * is "torn" (a file cut short); one that runs past its parent is damage.
 */
import { ProtocolError } from '../errors.js';

export interface BoxHeader {
  type: string;
  /** offset of the size field */
  start: number;
  /** 8, or 16 with a 64-bit largesize */
  headerSize: number;
  /** offset just past the box */
  end: number;
}

/** Containers nest a handful deep in practice (moov/trak/mdia/minf/stbl/stsd); more is hostile. */
export const MAX_BOX_DEPTH = 12;

export function fail(code: string, message: string): never {
  throw new ProtocolError(code, message);
}

export function bodyStart(h: BoxHeader): number {
  return h.start + h.headerSize;
}

/**
 * The header at `offset`, or null when fewer header bytes than needed remain
 * before `end`. Size 0 means "to `end`" (4.2.2). The box itself may still
 * run past `end`: callers compare `h.end` with their limit.
 */
export function readBoxHeader(buf: Buffer, offset: number, end: number = buf.length): BoxHeader | null {
  if (offset + 8 > end) return null;
  const size32 = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  if (size32 === 0) return { type, start: offset, headerSize: 8, end };
  if (size32 === 1) {
    if (offset + 16 > end) return null;
    const hi = buf.readUInt32BE(offset + 8);
    const size = hi * 0x100000000 + buf.readUInt32BE(offset + 12);
    if (hi >= 0x200000) fail('MP4_BOX_SIZE', `box '${type}' at ${offset} declares a 64-bit size beyond 2^53`);
    if (size < 16) fail('MP4_BOX_SIZE', `box '${type}' at ${offset} declares largesize ${size} < 16`);
    return { type, start: offset, headerSize: 16, end: offset + size };
  }
  if (size32 < 8) fail('MP4_BOX_SIZE', `box '${type}' at ${offset} declares size ${size32} < 8`);
  return { type, start: offset, headerSize: 8, end: offset + size32 };
}

export interface BoxList {
  boxes: BoxHeader[];
  /** offset of a box (or header) that runs past `end`, or null when the boxes fill the range exactly */
  tornAt: number | null;
}

/**
 * The boxes side by side in buf[offset, end). `depth` is the nesting level of
 * the range (0 = top level); past MAX_BOX_DEPTH it is an error.
 */
export function readBoxes(buf: Buffer, offset = 0, end: number = buf.length, depth = 0): BoxList {
  if (depth > MAX_BOX_DEPTH) fail('MP4_TOO_DEEP', `boxes nested more than ${MAX_BOX_DEPTH} deep`);
  if (!(offset >= 0 && offset <= end && end <= buf.length)) throw new RangeError(`bad box range [${offset}, ${end}) of ${buf.length}`);
  const boxes: BoxHeader[] = [];
  let pos = offset;
  while (pos < end) {
    const h = readBoxHeader(buf, pos, end);
    if (!h || h.end > end) return { boxes, tornAt: pos };
    boxes.push(h);
    pos = h.end;
  }
  return { boxes, tornAt: null };
}

/** The children of a complete box; a child running past its parent is damage. */
export function childBoxes(buf: Buffer, parent: BoxHeader, depth: number): BoxHeader[] {
  const { boxes, tornAt } = readBoxes(buf, bodyStart(parent), parent.end, depth);
  if (tornAt !== null) fail('MP4_BOX_OVERRUN', `a box in '${parent.type}' at ${tornAt} runs past its parent`);
  return boxes;
}

export function findChild(buf: Buffer, parent: BoxHeader, type: string, depth: number): BoxHeader | undefined {
  return childBoxes(buf, parent, depth).find((b) => b.type === type);
}

export function requireChild(buf: Buffer, parent: BoxHeader, type: string, depth: number): BoxHeader {
  const b = findChild(buf, parent, type, depth);
  if (!b) fail('MP4_MISSING_BOX', `'${parent.type}' at ${parent.start} has no '${type}'`);
  return b;
}

/** Bounds-checked big-endian field reader over one box's body. */
export class BoxFields {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    private readonly box: BoxHeader,
  ) {
    this.pos = bodyStart(box);
  }

  get remaining(): number {
    return this.box.end - this.pos;
  }

  private take(n: number): number {
    if (n > this.remaining) fail('MP4_BOX_TRUNCATED', `'${this.box.type}' at ${this.box.start} is too short for its fields`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.buf[this.take(1)];
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  i32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  u64(): number {
    const at = this.take(8);
    const hi = this.buf.readUInt32BE(at);
    if (hi >= 0x200000) fail('MP4_FIELD_RANGE', `64-bit field in '${this.box.type}' at ${this.box.start} is beyond 2^53`);
    return hi * 0x100000000 + this.buf.readUInt32BE(at + 4);
  }

  fourcc(): string {
    const at = this.take(4);
    return this.buf.toString('latin1', at, at + 4);
  }

  /** FullBox version and flags (4.2.2) */
  versionAndFlags(): { version: number; flags: number } {
    const v = this.u32();
    return { version: v >>> 24, flags: v & 0xffffff };
  }
}
