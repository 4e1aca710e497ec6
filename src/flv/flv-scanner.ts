/**
 * Incremental FLV file scanner for crash recovery and indexing (Adobe FLV
 * v10.1 annex E, E.2/E.3/E.4.1). Feed a file's bytes in any chunking; it
 * reports every complete, consistent tag and where the valid part ends.
 *
 * Pure and frugal: it copies at most a tag header (+2 body bytes, to tell
 * key frames and sequence headers) into a fixed carry buffer, skips bodies
 * by counting, never allocates from a declared size and never modifies its
 * input. The first inconsistency (bad header field, oversize tag, or a
 * PreviousTagSize that does not match its tag) stops the scan for good: what
 * follows a damaged tag cannot be trusted, so `validEnd` stays at the end
 * of the last good tag and recovery truncates there.
 */
import {
  EX_VIDEO_SEQUENCE_START, FLV_FILE_HEADER_SIZE, FLV_MAX_TAG_SIZE, FLV_PREVIOUS_TAG_SIZE_BYTES,
  FLV_TAG_AUDIO, FLV_TAG_HEADER_SIZE, FLV_TAG_SCRIPT, FLV_TAG_VIDEO,
} from './flv-format.js';

export interface FlvTagInfo {
  /** file offset of the tag header */
  offset: number;
  /** whole tag: header + data + PreviousTagSize */
  size: number;
  type: 'audio' | 'video' | 'script';
  /** 32-bit ms (TimestampExtended is the high byte) */
  timestamp: number;
  /** video FrameType 1 (legacy or E-RTMP); sequence headers are key frames too */
  keyframe: boolean;
  /** AVC/HEVC/AAC sequence header or E-RTMP SequenceStart */
  isSequenceHeader: boolean;
}

export interface FlvHeaderInfo {
  audio: boolean;
  video: boolean;
}

export interface FlvScannerOptions {
  /** the first pushed byte is this file offset and starts a tag (resume after the header or a known tag) */
  startOffset?: number;
  /** whole-tag size treated as corruption above this (default FLV_MAX_TAG_SIZE, 16 MiB) */
  maxTagSize?: number;
}

type State = 'header' | 'headerSkip' | 'prev0' | 'tagHeader' | 'tagPeek' | 'body' | 'prevSize' | 'dead';

const TYPE_NAMES: Record<number, FlvTagInfo['type']> = {
  [FLV_TAG_AUDIO]: 'audio',
  [FLV_TAG_VIDEO]: 'video',
  [FLV_TAG_SCRIPT]: 'script',
};
/** body bytes needed to classify an audio/video tag (codec byte + packet type) */
const PEEK = 2;
/** E.2 says DataOffset is 9 in version 1; allow a little room, refuse nonsense */
const MAX_DATA_OFFSET = 1024;

export class FlvScanner {
  private state: State;
  private readonly carry = Buffer.alloc(FLV_TAG_HEADER_SIZE + PEEK);
  private carryLen = 0;
  /** file offset of the next byte to consume */
  private pos: number;
  private end: number;
  /** bytes left to skip (header padding or tag body) */
  private skip = 0;
  private readonly maxTagSize: number;
  private headerInfo: FlvHeaderInfo | null = null;
  private failure: string | undefined;
  private tag = { offset: 0, type: 0, dataSize: 0, timestamp: 0, peek: 0 };

  constructor(opts: FlvScannerOptions = {}) {
    const start = opts.startOffset;
    if (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) throw new RangeError(`bad startOffset ${start}`);
    this.maxTagSize = opts.maxTagSize ?? FLV_MAX_TAG_SIZE;
    this.state = start === undefined ? 'header' : 'tagHeader';
    this.pos = this.end = start ?? 0;
  }

  /** Byte offset just after the last complete, consistent tag (or after the header). */
  get validEnd(): number {
    return this.end;
  }

  /** Bytes consumed so far, as a file offset. */
  get offset(): number {
    return this.pos;
  }

  /** The file header once read (null before, or when resuming with startOffset). */
  get header(): FlvHeaderInfo | null {
    return this.headerInfo;
  }

  /** Why scanning stopped, when the bytes are damaged (a merely incomplete tail is not an error). */
  get error(): string | undefined {
    return this.failure;
  }

  /** Feed the next bytes of the file; returns the tags completed by them. */
  push(chunk: Buffer): FlvTagInfo[] {
    const out: FlvTagInfo[] = [];
    let p = 0;
    while (p < chunk.length && this.state !== 'dead') {
      if (this.state === 'headerSkip' || this.state === 'body') {
        const n = Math.min(this.skip, chunk.length - p);
        p += n;
        this.pos += n;
        this.skip -= n;
        if (this.skip === 0) this.startCollect(this.state === 'body' ? 'prevSize' : 'prev0');
        continue;
      }
      const want = this.state === 'header' ? 9
        : this.state === 'tagHeader' ? FLV_TAG_HEADER_SIZE
        : this.state === 'tagPeek' ? FLV_TAG_HEADER_SIZE + this.tag.peek
        : FLV_PREVIOUS_TAG_SIZE_BYTES;
      const n = Math.min(want - this.carryLen, chunk.length - p);
      chunk.copy(this.carry, this.carryLen, p, p + n);
      this.carryLen += n;
      this.pos += n;
      p += n;
      if (this.carryLen < want) break;
      if (this.state === 'header') this.onFileHeader();
      else if (this.state === 'prev0') this.onPrev0();
      else if (this.state === 'tagHeader') this.onTagHeader();
      else if (this.state === 'tagPeek') this.onPeek();
      else this.onPreviousTagSize(out);
    }
    return out;
  }

  private startCollect(state: State): void {
    this.state = state;
    this.carryLen = 0;
  }

  private fail(message: string): void {
    this.failure = message;
    this.state = 'dead';
  }

  /** E.2: Signature 'FLV', Version 1, TypeFlags, DataOffset (header size). */
  private onFileHeader(): void {
    const c = this.carry;
    if (c.toString('latin1', 0, 3) !== 'FLV') return this.fail('not an FLV file: signature is not "FLV" (E.2)');
    if (c[3] !== 1) return this.fail(`unsupported FLV version ${c[3]} (E.2)`);
    const dataOffset = c.readUInt32BE(5);
    if (dataOffset < 9 || dataOffset > MAX_DATA_OFFSET) return this.fail(`FLV DataOffset ${dataOffset} out of range (E.2)`);
    this.headerInfo = { audio: (c[4] & 0x04) !== 0, video: (c[4] & 0x01) !== 0 };
    this.skip = dataOffset - 9;
    if (this.skip === 0) this.startCollect('prev0');
    else this.state = 'headerSkip';
  }

  /** PreviousTagSize0 is "always 0" (E.3); readers ignore it and so do we. */
  private onPrev0(): void {
    this.end = this.pos;
    this.startCollect('tagHeader');
  }

  /** E.4.1 FLVTAG header fields that our own files always get right. */
  private onTagHeader(): void {
    const c = this.carry;
    const offset = this.pos - FLV_TAG_HEADER_SIZE;
    const type = c[0] & 0x1f;
    if ((c[0] & 0xc0) !== 0) return this.fail(`tag at ${offset}: reserved bits set (E.4.1)`);
    if ((c[0] & 0x20) !== 0) return this.fail(`tag at ${offset}: encrypted (Filter=1) tags are not supported (E.4.1)`);
    if (!TYPE_NAMES[type]) return this.fail(`tag at ${offset}: unknown TagType ${type} (E.4.1)`);
    if (c.readUIntBE(8, 3) !== 0) return this.fail(`tag at ${offset}: StreamID is not 0 (E.4.1)`);
    const dataSize = c.readUIntBE(1, 3);
    const size = FLV_TAG_HEADER_SIZE + dataSize + FLV_PREVIOUS_TAG_SIZE_BYTES;
    if (size > this.maxTagSize) return this.fail(`tag at ${offset}: size ${size} exceeds the ${this.maxTagSize}-byte cap`);
    const timestamp = (c.readUIntBE(4, 3) + c[7] * 0x1000000) >>> 0;
    const peek = type === FLV_TAG_SCRIPT ? 0 : Math.min(PEEK, dataSize);
    this.tag = { offset, type, dataSize, timestamp, peek };
    if (peek === 0) this.onPeek();
    else this.state = 'tagPeek';
  }

  private onPeek(): void {
    this.skip = this.tag.dataSize - this.tag.peek;
    if (this.skip === 0) this.startCollect('prevSize');
    else this.state = 'body';
  }

  /** E.3: PreviousTagSize must equal 11 + DataSize; a mismatch is a torn or foreign tag. */
  private onPreviousTagSize(out: FlvTagInfo[]): void {
    const { offset, type, dataSize, timestamp } = this.tag;
    const prev = this.carry.readUInt32BE(0);
    if (prev !== FLV_TAG_HEADER_SIZE + dataSize) {
      return this.fail(`tag at ${offset}: PreviousTagSize ${prev} != ${FLV_TAG_HEADER_SIZE + dataSize} (E.3)`);
    }
    out.push({ offset, size: this.pos - offset, type: TYPE_NAMES[type], timestamp, ...this.classify() });
    this.end = this.pos;
    this.startCollect('tagHeader');
  }

  /** Reads the peeked body bytes (carry[11..12], still intact: prevSize only overwrote carry[0..3]). */
  private classify(): { keyframe: boolean; isSequenceHeader: boolean } {
    const { type, peek } = this.tag;
    if (peek === 0) return { keyframe: false, isSequenceHeader: false };
    const b0 = this.carry[FLV_TAG_HEADER_SIZE];
    const b1 = peek > 1 ? this.carry[FLV_TAG_HEADER_SIZE + 1] : -1;
    if (type === FLV_TAG_VIDEO) {
      if (b0 & 0x80) {
        // E-RTMP ExVideoTagHeader: IsExHeader | FrameType(3) | PacketType(4).
        // A ModEx prefix (PacketType 7) hides the real type: not counted as a header.
        return { keyframe: ((b0 >> 4) & 0x07) === 1, isSequenceHeader: (b0 & 0x0f) === EX_VIDEO_SEQUENCE_START };
      }
      // E.4.3.1: FrameType(4) CodecID(4), then AVCPacketType for AVC (7) and HEVC as cameras send it (12)
      const frameType = b0 >> 4;
      const codecId = b0 & 0x0f;
      const hasPacketType = (codecId === 7 || codecId === 12) && frameType !== 5;
      return { keyframe: frameType === 1, isSequenceHeader: hasPacketType && b1 === 0 };
    }
    // E.4.2.1: AAC's AACPacketType 0; E-RTMP audio (SoundFormat 9) SequenceStart is PacketType 0
    const format = b0 >> 4;
    const isSequenceHeader = (format === 10 && b1 === 0) || (format === 9 && (b0 & 0x0f) === 0);
    return { keyframe: false, isSequenceHeader };
  }
}

/** Scans a whole file held in memory. `error` names damage or a torn tail. */
export function scanFlv(file: Buffer): { header: FlvHeaderInfo | null; tags: FlvTagInfo[]; validEnd: number; error?: string } {
  const scanner = new FlvScanner();
  const tags = scanner.push(file);
  const { header, validEnd } = scanner;
  let error = scanner.error;
  if (error === undefined && validEnd === 0) {
    error = `incomplete FLV header: ${file.length} of ${FLV_FILE_HEADER_SIZE} bytes`;
  } else if (error === undefined && validEnd < file.length) {
    error = `torn tail: ${file.length - validEnd} bytes after the last complete tag (ending at ${validEnd})`;
  }
  return error === undefined ? { header, tags, validEnd } : { header, tags, validEnd, error };
}
