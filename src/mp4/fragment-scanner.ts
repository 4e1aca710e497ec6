/**
 * Incremental fMP4 file scanner for crash recovery and indexing: feed a
 * file's bytes in any chunking; it reports the init segment, every complete
 * moof+mdat pair, and `validEnd`, the end of the last pair whose samples
 * all lie inside its mdat (ISO 14496-12 8.8). After kill -9, recovery cuts
 * the file there.
 *
 * Frugal: moov and moof bodies are gathered (up to maxBoxSize) to be parsed;
 * mdat and other bodies are skipped by counting. Nothing is allocated from a
 * declared size and the input is never modified. The first inconsistency
 * stops the scan for good (`error`); an incomplete tail is not an error.
 */
import { ProtocolError } from '../errors.js';
import { readBoxHeader, type BoxHeader } from './box-reader.js';
import { parseMoov, type InitInfo } from './init-reader.js';
import { isSync, parseMoof, type ParsedMoof } from './moof-reader.js';

export interface ScannedFragment {
  /** file offset of the moof */
  offset: number;
  /** moof + mdat */
  byteLength: number;
  sequence: number;
  /** ms: earliest tfdt of its tracks */
  firstDts: number;
  /** ms: latest end (tfdt + durations) of its tracks */
  lastDtsEnd: number;
  /** playback can start here: its first video sample is a sync sample (no video so far: true) */
  keyframe: boolean;
}

export interface ScanResult {
  init: InitInfo | null;
  fragments: ScannedFragment[];
  /** end of the last complete pair (or of the moov when there is none; 0 without one) */
  validEnd: number;
  error?: string;
}

export interface ScannerOptions {
  /** resume at a known box boundary (e.g. a fragment start) of a file whose init is known */
  startOffset?: number;
  init?: InitInfo;
  /** moov/moof bodies above this are damage (default 16 MiB) */
  maxBoxSize?: number;
}

type State = 'header' | 'collect' | 'skip' | 'dead';

const DEFAULT_MAX_BOX = 16 << 20;

/** Box types are four printable ASCII characters; anything else at top level is garbage. */
function printable(type: string): boolean {
  for (let i = 0; i < 4; i++) {
    const c = type.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export class Mp4FragmentScanner {
  private state: State = 'header';
  private readonly carry = Buffer.alloc(16);
  private carryLen = 0;
  private pos: number;
  private end: number;
  private box: BoxHeader | null = null;
  private collected: Buffer[] = [];
  private collectedLen = 0;
  private skipLeft = 0;
  private moof: { start: number; parsed: ParsedMoof } | null = null;
  /** the mdat being skipped completes the pending moof */
  private pairing = false;
  private videoSeen = false;
  private initInfo: InitInfo | null;
  private failure: string | undefined;
  private readonly maxBoxSize: number;
  readonly fragments: ScannedFragment[] = [];

  constructor(opts: ScannerOptions = {}) {
    this.pos = this.end = opts.startOffset ?? 0;
    this.initInfo = opts.init ?? null;
    this.maxBoxSize = opts.maxBoxSize ?? DEFAULT_MAX_BOX;
  }

  get validEnd(): number {
    return this.end;
  }

  /** Bytes consumed so far, as a file offset. */
  get offset(): number {
    return this.pos;
  }

  get init(): InitInfo | null {
    return this.initInfo;
  }

  /** Why scanning stopped, when the bytes are damaged. */
  get error(): string | undefined {
    return this.failure;
  }

  get result(): ScanResult {
    const r: ScanResult = { init: this.initInfo, fragments: this.fragments, validEnd: this.end };
    if (this.failure !== undefined) r.error = this.failure;
    return r;
  }

  /** Feed the next bytes; returns the fragments they completed. */
  push(chunk: Buffer): ScannedFragment[] {
    const out: ScannedFragment[] = [];
    let p = 0;
    while (p < chunk.length && this.state !== 'dead') {
      if (this.state === 'skip') {
        const n = Math.min(this.skipLeft, chunk.length - p);
        p += n;
        this.pos += n;
        this.skipLeft -= n;
        if (this.skipLeft === 0) this.boxDone(out);
      } else if (this.state === 'collect') {
        const n = Math.min(this.box!.end - this.pos, chunk.length - p);
        this.collected.push(chunk.subarray(p, p + n));
        this.collectedLen += n;
        p += n;
        this.pos += n;
        if (this.pos === this.box!.end) this.parseCollected();
      } else {
        const n = Math.min(this.headerWanted() - this.carryLen, chunk.length - p);
        chunk.copy(this.carry, this.carryLen, p, p + n);
        this.carryLen += n;
        this.pos += n;
        p += n;
        if (this.carryLen === this.headerWanted()) this.onHeader(out);
      }
    }
    return out;
  }

  /** No more bytes: a last box declared as running to the end (size 0) ends here. */
  finish(): ScannedFragment[] {
    const out: ScannedFragment[] = [];
    if (this.state === 'skip' && this.skipLeft === Infinity) {
      this.box!.end = this.pos;
      this.skipLeft = 0;
      if (this.pairing && this.moof!.parsed.dataEnd > this.pos) this.fail(`MP4_TRUN_OUTSIDE_MDAT: samples run past the end of the last mdat`);
      else this.boxDone(out);
    }
    return out;
  }

  /** 8 header bytes, or 16 once the size field says a 64-bit largesize follows */
  private headerWanted(): number {
    return this.carryLen >= 8 && this.carry.readUInt32BE(0) === 1 ? 16 : 8;
  }

  private fail(message: string): void {
    this.failure = message;
    this.state = 'dead';
  }

  private onHeader(out: ScannedFragment[]): void {
    const start = this.pos - this.carryLen;
    const rel = readBoxHeaderSafe(this.carry.subarray(0, this.carryLen));
    this.carryLen = 0;
    if (typeof rel === 'string') return this.fail(rel);
    if (!printable(rel.type)) return this.fail(`MP4_GARBAGE: no box at ${start}`);
    const toEnd = this.carry.readUInt32BE(0) === 0;
    const h: BoxHeader = { type: rel.type, start, headerSize: rel.headerSize, end: toEnd ? Infinity : start + (rel.end - rel.start) };
    this.box = h;
    if (this.moof && h.type !== 'mdat') return this.fail(`MP4_MOOF_WITHOUT_MDAT: '${h.type}' at ${start} follows the moof at ${this.moof.start}`);
    if (h.type === 'moov' || h.type === 'moof') {
      if (toEnd) return this.fail(`MP4_BOX_SIZE: '${h.type}' at ${start} has size 0`);
      if (h.end - start > this.maxBoxSize) return this.fail(`MP4_BOX_TOO_LARGE: '${h.type}' at ${start} is ${h.end - start} bytes`);
      if (h.type === 'moof' && !this.initInfo) return this.fail(`MP4_NO_INIT: moof at ${start} before any moov`);
      this.collected = [Buffer.from(this.carry.subarray(0, h.headerSize))];
      this.collectedLen = h.headerSize;
      this.state = 'collect';
      if (this.pos === h.end) this.parseCollected();
      return;
    }
    if (h.type === 'mdat' && this.moof) {
      const bodyStart = start + h.headerSize;
      const { dataStart, dataEnd } = this.moof.parsed;
      if (dataStart < bodyStart || dataEnd > h.end) {
        return this.fail(`MP4_TRUN_OUTSIDE_MDAT: samples [${dataStart}, ${dataEnd}) of the moof at ${this.moof.start} lie outside the mdat [${bodyStart}, ${h.end})`);
      }
      this.pairing = true;
    }
    this.skipLeft = h.end - this.pos;
    this.state = 'skip';
    if (this.skipLeft === 0) this.boxDone(out);
  }

  private parseCollected(): void {
    const h = this.box!;
    const buf = Buffer.concat(this.collected, this.collectedLen);
    this.collected = [];
    this.state = 'header';
    try {
      const rel = readBoxHeader(buf, 0, buf.length)!;
      if (h.type === 'moov') {
        this.initInfo = { end: h.end, tracks: parseMoov(buf, rel) };
        if (this.fragments.length === 0) this.end = h.end;
      } else {
        this.moof = { start: h.start, parsed: parseMoof(buf, rel, h.start, this.initInfo!.tracks) };
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.fail(`${e.code}: ${e.message}`);
    }
  }

  private boxDone(out: ScannedFragment[]): void {
    this.state = 'header';
    if (!this.pairing) return;
    const { start, parsed } = this.moof!;
    const end = this.box!.end;
    this.pairing = false;
    this.moof = null;
    const fragment = summarize(parsed, start, end, this.videoSeen);
    if (parsed.trafs.some((t) => t.track.handler === 'vide' && t.samples.length > 0)) this.videoSeen = true;
    this.fragments.push(fragment);
    out.push(fragment);
    this.end = end;
  }
}

function readBoxHeaderSafe(header: Buffer): Pick<BoxHeader, 'type' | 'start' | 'headerSize' | 'end'> | string {
  try {
    return readBoxHeader(header, 0, header.length)!;
  } catch (e) {
    if (e instanceof ProtocolError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

/** videoSeen: an earlier fragment had video, so one without video cannot start playback */
function summarize(parsed: ParsedMoof, start: number, end: number, videoSeen: boolean): ScannedFragment {
  let first = Infinity;
  let last = -Infinity;
  let keyframe: boolean | null = null;
  for (const traf of parsed.trafs) {
    const ts = traf.track.timescale;
    let t = traf.baseDecodeTime;
    for (const s of traf.samples) t += s.duration;
    first = Math.min(first, (traf.baseDecodeTime * 1000) / ts);
    last = Math.max(last, (t * 1000) / ts);
    if (traf.track.handler === 'vide' && keyframe === null) keyframe = traf.samples.length > 0 && isSync(traf.samples[0].flags);
  }
  if (parsed.trafs.length === 0) first = last = 0;
  return {
    offset: start,
    byteLength: end - start,
    sequence: parsed.sequence,
    firstDts: Math.round(first),
    lastDtsEnd: Math.round(last),
    keyframe: keyframe ?? !videoSeen,
  };
}

/** Scan a whole file (or its tail, with `startOffset` and `init`). */
export function scanFragments(file: Buffer, opts?: ScannerOptions): ScanResult {
  const s = new Mp4FragmentScanner(opts);
  s.push(file);
  s.finish();
  return s.result;
}
