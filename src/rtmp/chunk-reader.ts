import { ProtocolError } from '../errors.js';
import {
  basicHeaderBytes,
  EXTENDED_TIMESTAMP_MARK,
  MESSAGE_HEADER_BYTES,
  readCsid,
} from './chunk-header.js';
import { MessageType, type RawMessage } from './message-types.js';

export interface ChunkReaderLimits {
  /** largest message length a header may declare */
  maxMessageBytes: number;
  /** largest chunk size the peer may set */
  maxChunkSize: number;
  /** distinct chunk stream ids one connection may use */
  maxChunkStreams: number;
  /** bytes held in unfinished messages across all chunk streams */
  maxPendingBytes: number;
}

export const DEFAULT_CHUNK_READER_LIMITS: ChunkReaderLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxChunkSize: 16 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPendingBytes: 32 * 1024 * 1024,
};

/** What the previous header on one chunk stream said (spec 5.3.1.2: later headers inherit it). */
interface ChunkStream {
  csid: number;
  timestamp: number;
  /** timestamp field of the last header: absolute for type 0, a delta for types 1 and 2 */
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** the last type 0/1/2 header used an extended timestamp (type-3 chunks repeat it) */
  extended: boolean;
  /** pieces of the message being reassembled (subarrays of the input, not copies) */
  pieces: Buffer[];
  filled: number;
  /** every piece so far follows the previous one in the same input, separated only by its chunk header */
  joinable: boolean;
  /** the input the last piece came from, and where in it that piece ended */
  lastInput: Buffer | null;
  lastEnd: number;
}

const enum Phase {
  Header,
  Payload,
}

export interface ChunkReaderOptions {
  /**
   * Join a multi-chunk message's pieces inside the input buffer when they came
   * in one buffer, moving each piece over the chunk header before it, instead
   * of copying them into a new one: a 4 Mbit/s camera then allocates only its
   * socket reads, which halves the garbage (and the GC work) per byte. Only for
   * callers that own the input outright (a socket's reads); it writes to it.
   */
  compactInPlace?: boolean;
}

/**
 * Reassembles RTMP messages from chunks (spec 5.3). A pure state machine:
 * push() any split of the byte stream, get the complete messages back.
 * It keeps references to the Buffers it is given; callers must not reuse them
 * (and with compactInPlace, it moves bytes within them).
 */
export class ChunkReader {
  chunkSize = 128;
  private readonly limits: ChunkReaderLimits;
  private readonly compact: boolean;
  /** the input and offset where the chunk header being read (or last read) began */
  private headerInput: Buffer | null = null;
  private headerAt = 0;
  /** the next payload read is the first of its chunk */
  private chunkStart = false;
  private readonly streams = new Map<number, ChunkStream>();
  /** basic (3) + message (11) + extended timestamp (4) header bytes */
  private readonly scratch = Buffer.alloc(18);
  private scratchLen = 0;
  private phase = Phase.Header;
  private current: ChunkStream | null = null;
  /** payload bytes left in the chunk being read */
  private chunkLeft = 0;
  private pendingBytes = 0;

  constructor(limits: Partial<ChunkReaderLimits> = {}, opts: ChunkReaderOptions = {}) {
    this.limits = { ...DEFAULT_CHUNK_READER_LIMITS, ...limits };
    this.compact = opts.compactInPlace ?? false;
  }

  /** Set Chunk Size from the peer (spec 5.4.1): 31 bits, at least 1, capped. */
  setChunkSize(size: number): void {
    if (size < 1 || size > 0x7fffffff) {
      throw new ProtocolError('CHUNK_SIZE_INVALID', `Set Chunk Size ${size} is outside 1..2^31-1`);
    }
    if (size > this.limits.maxChunkSize) {
      throw new ProtocolError('CHUNK_SIZE_LIMIT', `Set Chunk Size ${size} exceeds the maximum ${this.limits.maxChunkSize}`);
    }
    this.chunkSize = size;
  }

  /** Abort Message (spec 5.4.2): drop the partial message on that chunk stream. */
  abort(csid: number): void {
    const cs = this.streams.get(csid);
    if (!cs) return;
    this.pendingBytes -= cs.filled;
    cs.pieces = [];
    cs.filled = 0;
  }

  push(input: Buffer): RawMessage[] {
    const out: RawMessage[] = [];
    this.consume(input, out);
    return out;
  }

  private consume(input: Buffer, out: RawMessage[]): void {
    let off = 0;
    while (off < input.length) {
      if (this.phase === Phase.Payload) {
        off = this.readPayload(input, off, out);
        continue;
      }
      if (this.scratchLen === 0) {
        this.headerInput = input;
        this.headerAt = off;
      }
      off = this.fillHeader(input, off);
      if (this.scratchLen < this.headerBytesNeeded()) return;
      const unread = this.startChunk(out);
      // 4 peeked bytes that turned out not to be an extended timestamp are stream data
      if (unread) this.consume(unread, out);
    }
  }

  /** Copies header bytes into scratch, one field at a time, until complete or input runs out. */
  private fillHeader(input: Buffer, off: number): number {
    for (;;) {
      const need = this.headerBytesNeeded();
      if (this.scratchLen >= need || off >= input.length) return off;
      const take = Math.min(need - this.scratchLen, input.length - off);
      input.copy(this.scratch, this.scratchLen, off, off + take);
      this.scratchLen += take;
      off += take;
    }
  }

  /**
   * Total header bytes needed given what the scratch holds so far, or 0 when complete.
   * A type-3 chunk on a stream whose last header used an extended timestamp is read
   * with a 4-byte peek, since some senders omit the repeat (MEDIA-NOTES, srs PR#4680).
   */
  private headerBytesNeeded(): number {
    if (this.scratchLen === 0) return 1;
    const basic = basicHeaderBytes(this.scratch[0]);
    if (this.scratchLen < basic) return basic;
    const fmt = this.scratch[0] >> 6;
    const header = basic + MESSAGE_HEADER_BYTES[fmt];
    if (this.scratchLen < header) return header;
    if (fmt < 3) {
      return this.scratch.readUIntBE(basic, 3) === EXTENDED_TIMESTAMP_MARK ? header + 4 : header;
    }
    const cs = this.streams.get(readCsid(this.scratch, 0));
    return cs?.extended ? header + 4 : header;
  }

  /**
   * Interprets the complete header in scratch and sets up the payload read.
   * Returns peeked bytes that belong to the payload, if any.
   */
  private startChunk(out: RawMessage[]): Buffer | null {
    const s = this.scratch;
    const fmt = s[0] >> 6;
    const basic = basicHeaderBytes(s[0]);
    const csid = readCsid(s, 0);
    const cs = this.streamFor(csid, fmt);
    const p = basic;
    let peeked: Buffer | null = null;

    if (fmt === 3) {
      if (cs.extended) {
        const value = s.readUInt32BE(p);
        // The repeat must equal the last extended field; otherwise these 4 bytes are payload.
        if (value !== cs.delta) peeked = Buffer.from(s.subarray(p, p + 4));
      }
    } else {
      if (cs.filled > 0) {
        throw new ProtocolError(
          'CHUNK_HEADER_MID_MESSAGE',
          `type ${fmt} chunk on csid ${csid} while a message of ${cs.length} bytes had ${cs.filled} read`,
        );
      }
      let field = s.readUIntBE(p, 3);
      if (fmt <= 1) {
        cs.length = s.readUIntBE(p + 3, 3);
        cs.type = s[p + 6];
      }
      if (fmt === 0) cs.streamId = s.readUInt32LE(p + 7);
      cs.extended = field === EXTENDED_TIMESTAMP_MARK;
      if (cs.extended) field = s.readUInt32BE(p + MESSAGE_HEADER_BYTES[fmt]);
      cs.delta = field;
      cs.timestamp = fmt === 0 ? field : (cs.timestamp + field) >>> 0;
    }
    if (fmt === 3 && cs.filled === 0) {
      // A type-3 chunk that starts a new message adds the previous delta; after a
      // type-0 header that delta is its absolute timestamp (spec 5.3.1.2.4; GStreamer relies on it).
      cs.timestamp = (cs.timestamp + cs.delta) >>> 0;
    }
    if (cs.filled === 0) this.checkNewMessage(cs);

    this.scratchLen = 0;
    this.current = cs;
    this.chunkLeft = Math.min(this.chunkSize, cs.length - cs.filled);
    this.phase = Phase.Payload;
    this.chunkStart = true;
    if (this.chunkLeft === 0) this.finishChunk(out);
    return peeked;
  }

  private streamFor(csid: number, fmt: number): ChunkStream {
    let cs = this.streams.get(csid);
    if (!cs) {
      if (fmt !== 0) {
        throw new ProtocolError('CHUNK_NO_PREVIOUS_HEADER', `received type ${fmt} chunk on csid ${csid} without a previous type 0 chunk`);
      }
      if (this.streams.size >= this.limits.maxChunkStreams) {
        throw new ProtocolError('CHUNK_STREAM_LIMIT', `more than ${this.limits.maxChunkStreams} chunk streams in use`);
      }
      cs = { csid, timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, pieces: [], filled: 0, joinable: true, lastInput: null, lastEnd: 0 };
      this.streams.set(csid, cs);
    }
    return cs;
  }

  private checkNewMessage(cs: ChunkStream): void {
    if (cs.length > this.limits.maxMessageBytes) {
      throw new ProtocolError(
        'MESSAGE_TOO_LARGE',
        `message body size (${cs.length}) on csid ${cs.csid} exceeds maximum (${this.limits.maxMessageBytes})`,
      );
    }
  }

  private readPayload(input: Buffer, off: number, out: RawMessage[]): number {
    const cs = this.current!;
    const take = Math.min(this.chunkLeft, input.length - off);
    if (take > 0) {
      if (this.pendingBytes + take > this.limits.maxPendingBytes) {
        throw new ProtocolError('PENDING_BYTES_LIMIT', `more than ${this.limits.maxPendingBytes} bytes in unfinished messages`);
      }
      if (cs.filled === 0) cs.joinable = true;
      else if (!(this.chunkStart && this.headerInput === input && cs.lastInput === input && cs.lastEnd === this.headerAt)) cs.joinable = false;
      cs.lastInput = input;
      cs.lastEnd = off + take;
      cs.pieces.push(input.subarray(off, off + take));
      cs.filled += take;
      this.pendingBytes += take;
      this.chunkLeft -= take;
    }
    this.chunkStart = false;
    if (this.chunkLeft === 0) this.finishChunk(out);
    return off + take;
  }

  private finishChunk(out: RawMessage[]): void {
    const cs = this.current!;
    this.phase = Phase.Header;
    this.current = null;
    if (cs.filled < cs.length) return;
    const n = cs.pieces.length;
    const body = n === 1 ? cs.pieces[0] : n > 1 && this.compact && cs.joinable ? joinInPlace(cs.pieces) : Buffer.concat(cs.pieces, cs.filled);
    cs.lastInput = null;
    this.pendingBytes -= cs.filled;
    cs.pieces = [];
    cs.filled = 0;
    out.push({ csid: cs.csid, type: cs.type, streamId: cs.streamId, timestamp: cs.timestamp, body });
    this.applyControl(cs.type, body);
  }

  /**
   * Set Chunk Size and Abort change how the very next bytes are read, which may
   * be in the same input buffer, so the chunk layer applies them itself (spec 5.4.1, 5.4.2).
   */
  private applyControl(type: number, body: Buffer): void {
    if (type !== MessageType.SetChunkSize && type !== MessageType.Abort) return;
    if (body.length < 4) throw new ProtocolError('CONTROL_TRUNCATED', `control message type ${type} has ${body.length} bytes, needs 4`);
    const value = body.readUInt32BE(0);
    if (type === MessageType.Abort) return this.abort(value);
    if (value & 0x80000000) throw new ProtocolError('CHUNK_SIZE_INVALID', `Set Chunk Size has bit 31 set (0x${value.toString(16)})`);
    this.setChunkSize(value);
  }
}

/**
 * Pieces that lie in one input, each after the previous one's end and the
 * (already parsed) chunk header between them: moves each piece back over the
 * header before it and returns the joined body as a view of that input.
 */
function joinInPlace(pieces: Buffer[]): Buffer {
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const span = Buffer.from(first.buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset);
  let w = first.length;
  for (let i = 1; i < pieces.length; i++) {
    const p = pieces[i];
    const at = p.byteOffset - first.byteOffset;
    if (at !== w) span.copyWithin(w, at, at + p.length);
    w += p.length;
  }
  return span.subarray(0, w);
}
