/**
 * MSB-first bit reader for codec parameter sets (H.264/HEVC RBSP, AAC
 * AudioSpecificConfig). Every read is bounds-checked: a parameter set from a
 * publisher is untrusted, and running off its end must be a ProtocolError,
 * never a RangeError or a silent zero.
 */
import { ProtocolError } from '../errors.js';

export class BitReader {
  private readonly data: Uint8Array;
  private readonly totalBits: number;
  private pos = 0;

  constructor(data: Uint8Array) {
    this.data = data;
    this.totalBits = data.length * 8;
  }

  get bitsLeft(): number {
    return this.totalBits - this.pos;
  }

  get bitPosition(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (n > this.totalBits - this.pos) {
      throw new ProtocolError(
        'BITSTREAM_TRUNCATED',
        `bitstream truncated: need ${n} bits at bit ${this.pos} of ${this.totalBits}`,
      );
    }
  }

  /** Read n bits (0..32) as an unsigned number. */
  readBits(n: number): number {
    if (n < 0 || n > 32 || !Number.isInteger(n)) throw new RangeError(`readBits(${n})`);
    this.need(n);
    let value = 0;
    for (let i = 0; i < n; ) {
      const byte = this.data[this.pos >>> 3];
      const bitInByte = this.pos & 7;
      const take = Math.min(8 - bitInByte, n - i);
      const chunk = (byte >>> (8 - bitInByte - take)) & ((1 << take) - 1);
      // multiply instead of shifting so 32-bit reads stay unsigned
      value = value * (1 << take) + chunk;
      this.pos += take;
      i += take;
    }
    return value;
  }

  readBit(): number {
    this.need(1);
    const bit = (this.data[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  skipBits(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Unsigned exp-Golomb ue(v) (ISO 14496-10 9.1). Values above 2^32-2 are rejected. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      zeros++;
      if (zeros > 31) {
        throw new ProtocolError('BITSTREAM_INVALID', 'exp-Golomb code longer than 32 bits');
      }
    }
    if (zeros === 0) return 0;
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** Signed exp-Golomb se(v) (ISO 14496-10 9.1.1): 1, -1, 2, -2, ... */
  readSE(): number {
    const k = this.readUE();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** ue(v) with an inclusive upper bound; out of range is a ProtocolError. */
  readUEMax(max: number, what: string): number {
    const v = this.readUE();
    if (v > max) throw new ProtocolError('BITSTREAM_INVALID', `${what} = ${v} exceeds ${max}`);
    return v;
  }
}

/**
 * Strip emulation-prevention bytes (00 00 03 -> 00 00), turning a NAL unit's
 * payload into its RBSP (ISO 14496-10 7.4.1, ISO 23008-2 7.4.2). Returns a new
 * buffer; the input is not modified.
 */
export function removeEmulationPrevention(nal: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(nal.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 0x03) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
