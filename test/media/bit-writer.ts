/** Test helper: MSB-first bit writer to spell out parameter sets field by field. */
export class BitWriter {
  private bits: number[] = [];

  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  flag(b: boolean): this {
    return this.u(1, b ? 1 : 0);
  }

  ue(value: number): this {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.u(len, 0);
    return this.u(len + 1, v);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  get length(): number {
    return this.bits.length;
  }

  /** Bytes, zero-padded to a byte boundary. */
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      if (b) out[i >> 3] |= 0x80 >> (i & 7);
    });
    return out;
  }

  /** rbsp_trailing_bits, then the NAL header and emulation prevention (00 00 0x -> 00 00 03 0x). */
  nal(header: number[]): Buffer {
    this.u(1, 1);
    while (this.bits.length % 8) this.u(1, 0);
    const rbsp = this.bytes();
    const out: number[] = [...header];
    let zeros = 0;
    for (const b of rbsp) {
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
  }
}
