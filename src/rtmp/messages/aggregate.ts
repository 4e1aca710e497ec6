import { ProtocolError } from '../../errors.js';
import type { RawMessage } from '../message-types.js';

const TAG_HEADER_BYTES = 11;
const BACK_POINTER_BYTES = 4;

/**
 * Splits an aggregate message (type 22, spec 7.1.6) into its sub-messages.
 * The body is a run of FLV-style tags: type(1) size(3) timestamp(3) timestampExtended(1)
 * streamId(3) data(size) backPointer(4). Sub-message times keep their offsets from the
 * first sub-message, rebased on the aggregate's own timestamp.
 */
export function splitAggregate(msg: RawMessage, maxParts = 4096): RawMessage[] {
  const b = msg.body;
  const out: RawMessage[] = [];
  let off = 0;
  let firstTs: number | null = null;
  while (off < b.length) {
    if (b.length - off < TAG_HEADER_BYTES) {
      throw new ProtocolError('AGGREGATE_TRUNCATED', `aggregate sub-message header at offset ${off} truncated`);
    }
    const type = b[off];
    const size = b.readUIntBE(off + 1, 3);
    const ts = (b[off + 7] * 0x1000000 + b.readUIntBE(off + 4, 3)) >>> 0;
    const dataStart = off + TAG_HEADER_BYTES;
    if (dataStart + size > b.length) {
      throw new ProtocolError('AGGREGATE_TRUNCATED', `aggregate sub-message at offset ${off} declares ${size} bytes, ${b.length - dataStart} remain`);
    }
    if (out.length >= maxParts) throw new ProtocolError('AGGREGATE_LIMIT', `aggregate message has more than ${maxParts} sub-messages`);
    firstTs ??= ts;
    out.push({
      csid: msg.csid,
      type,
      streamId: msg.streamId,
      timestamp: (msg.timestamp + (ts - firstTs)) >>> 0,
      body: b.subarray(dataStart, dataStart + size),
    });
    // The back pointer is optional at the very end; tolerate its absence.
    off = Math.min(b.length, dataStart + size + BACK_POINTER_BYTES);
  }
  return out;
}
