import { EXTENDED_TIMESTAMP_MARK, writeBasicHeader } from './chunk-header.js';

export interface OutgoingMessage {
  csid: number;
  type: number;
  streamId: number;
  /** ms; wrapped to 32 bits on the wire */
  timestamp: number;
  body: Buffer;
}

/**
 * Splits messages into chunks (spec 5.3): a type-0 header on the first chunk,
 * type-3 headers on the rest, repeating the extended timestamp on every type-3
 * chunk as librtmp and ffmpeg expect. Pure: returns Buffers to write.
 */
export class ChunkWriter {
  chunkSize = 128;

  /** Returns header and body slices in wire order (body slices are not copied). */
  write(msg: OutgoingMessage): Buffer[] {
    const ts = msg.timestamp >>> 0;
    const extended = ts >= EXTENDED_TIMESTAMP_MARK;
    const len = msg.body.length;
    const out: Buffer[] = [];

    const first = Buffer.allocUnsafe(3 + 11 + 4);
    let p = writeBasicHeader(first, 0, 0, msg.csid);
    first.writeUIntBE(extended ? EXTENDED_TIMESTAMP_MARK : ts, p, 3);
    first.writeUIntBE(len, p + 3, 3);
    first[p + 6] = msg.type;
    first.writeUInt32LE(msg.streamId, p + 7);
    p += 11;
    if (extended) p = first.writeUInt32BE(ts, p);
    out.push(first.subarray(0, p));

    const cont = Buffer.allocUnsafe(3 + 4);
    let q = writeBasicHeader(cont, 0, 3, msg.csid);
    if (extended) q = cont.writeUInt32BE(ts, q);
    const contHeader = cont.subarray(0, q);

    for (let off = 0; off < len; off += this.chunkSize) {
      if (off > 0) out.push(contHeader);
      out.push(msg.body.subarray(off, Math.min(len, off + this.chunkSize)));
    }
    return out;
  }
}
