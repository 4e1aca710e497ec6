/**
 * ISO BMFF box tree and its one serializer (ISO 14496-12 4.2). Builders are
 * pure functions returning a tree; sizes are filled in only when the tree is
 * written, so no builder has to know how big its children are.
 *
 * Buffers in a tree are referenced, never copied, until toBuffer(): a
 * fragment's mdat can list the frames' own payloads and go out with writev.
 */

export interface Box {
  /** four-character code */
  type: string;
  children: BoxChild[];
}

export type BoxChild = Box | Buffer;

const MAX_U32 = 0xffffffff;

export function box(type: string, ...children: BoxChild[]): Box {
  if (type.length !== 4) throw new RangeError(`box type ${JSON.stringify(type)} is not four characters`);
  return { type, children };
}

/** FullBox (4.2.2): one byte version, 24 bits of flags, then the fields. */
export function fullBox(type: string, version: number, flags: number, ...children: BoxChild[]): Box {
  return box(type, Buffer.from([version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff]), ...children);
}

// ---- field encoders: each returns a small big-endian Buffer ----

export function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** 64-bit unsigned from a safe integer (up to 2^53, far beyond any media time). */
export function u64(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(n / 0x100000000), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

/** 16.16 fixed point (tkhd width/height, sample entry samplerate). */
export function fixed16(n: number): Buffer {
  return u32(Math.round(n * 0x10000));
}

export function fourcc(s: string): Buffer {
  if (s.length !== 4) throw new RangeError(`fourcc ${JSON.stringify(s)} is not four characters`);
  return Buffer.from(s, 'latin1');
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

/** Unity transformation matrix (8.2.2.3, 8.3.2.3): {1,0,0, 0,1,0, 0,0,1} in 16.16 / 2.30. */
export function unityMatrix(): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32BE(0x00010000, 0);
  b.writeUInt32BE(0x00010000, 16);
  b.writeUInt32BE(0x40000000, 32);
  return b;
}

// ---- serializer ----

/** Header for a box of `contentSize` body bytes: 8 bytes, or 16 with a 64-bit largesize (4.2.2). */
export function boxHeader(type: string, contentSize: number): Buffer {
  if (contentSize + 8 <= MAX_U32) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(contentSize + 8, 0);
    h.write(type, 4, 'latin1');
    return h;
  }
  const h = Buffer.alloc(16);
  h.writeUInt32BE(1, 0);
  h.write(type, 4, 'latin1');
  u64(contentSize + 16).copy(h, 8);
  return h;
}

function contentSize(b: Box): number {
  let n = 0;
  for (const c of b.children) n += Buffer.isBuffer(c) ? c.length : boxSize(c);
  return n;
}

/** Serialized size of a box, header included. */
export function boxSize(b: Box): number {
  const content = contentSize(b);
  return content + (content + 8 <= MAX_U32 ? 8 : 16);
}

/** The box as a list of Buffers: fresh headers plus the tree's own Buffers, uncopied. */
export function boxParts(b: Box, out: Buffer[] = []): Buffer[] {
  out.push(boxHeader(b.type, contentSize(b)));
  for (const c of b.children) {
    if (Buffer.isBuffer(c)) out.push(c);
    else boxParts(c, out);
  }
  return out;
}

/** The boxes, back to back, as one Buffer. */
export function toBuffer(...boxes: Box[]): Buffer {
  const parts: Buffer[] = [];
  for (const b of boxes) boxParts(b, parts);
  return Buffer.concat(parts);
}
