/**
 * The sliding window of one camera's HLS media in memory: Media Segments made
 * of parts (CMAF chunks), oldest first, the newest possibly still open.
 * Bounded by segment count and bytes; numbering only ever increases.
 */
import type { Chunk } from './cmaf-chunker.js';

export interface HlsPart {
  /** global part number: the part URI (so a preload hint can name the next part before its segment is known) */
  id: number;
  msn: number;
  /** index within its segment (_HLS_part) */
  index: number;
  durationMs: number;
  independent: boolean;
  data: Buffer;
}

export interface HlsSegment {
  /** Media Sequence Number (RFC 8216 4.3.3.2) */
  msn: number;
  /** the init segment (EXT-X-MAP) its parts need */
  initId: number;
  /** preceded by EXT-X-DISCONTINUITY (RFC 8216 4.3.2.3) */
  discontinuity: boolean;
  /** its Discontinuity Sequence Number (RFC 8216 4.3.3.3) */
  discSeq: number;
  /** wall clock of its first sample, ms (EXT-X-PROGRAM-DATE-TIME) */
  wallMs: number;
  parts: HlsPart[];
  durationMs: number;
  byteLength: number;
  complete: boolean;
}

export interface SegmentWindowOptions {
  firstMsn: number;
  firstPartId: number;
  /** complete segments kept (the playlist lists fewer: see HlsPackager) */
  keepSegments: number;
  /** bytes kept at most; the oldest segments go first (the newest complete one always stays) */
  maxBytes: number;
}

export interface ChunkMeta {
  initId: number;
  /** used when the chunk starts a segment */
  discontinuity: boolean;
  wallMs: number;
}

export class SegmentWindow {
  private segments: HlsSegment[] = [];
  private bytes = 0;
  private nextMsn: number;
  /** the id the next part will get */
  nextPartId: number;
  private discSeq = 0;
  /** the longest complete segment / part ever here, ms: target durations derived from these only grow (players expect them fixed) */
  maxSegmentMs = 0;
  maxPartMs = 0;

  constructor(private readonly opts: SegmentWindowOptions) {
    this.nextMsn = opts.firstMsn;
    this.nextPartId = opts.firstPartId;
  }

  get byteLength(): number {
    return this.bytes;
  }

  get open(): HlsSegment | null {
    const last = this.segments[this.segments.length - 1];
    return last && !last.complete ? last : null;
  }

  /** Complete segments, oldest first. */
  completed(): HlsSegment[] {
    return this.segments.filter((s) => s.complete);
  }

  /** Everything held, oldest first (the open segment last). */
  all(): readonly HlsSegment[] {
    return this.segments;
  }

  add(chunk: Chunk, meta: ChunkMeta): HlsPart {
    let seg = this.open;
    if (!seg || chunk.segmentStart) {
      this.close();
      // the stream's very first segment follows nothing, so it has no discontinuity
      const discontinuity = meta.discontinuity && this.nextMsn !== this.opts.firstMsn;
      if (discontinuity) this.discSeq++;
      seg = {
        msn: this.nextMsn++,
        initId: meta.initId,
        discontinuity,
        discSeq: this.discSeq,
        wallMs: meta.wallMs,
        parts: [],
        durationMs: 0,
        byteLength: 0,
        complete: false,
      };
      this.segments.push(seg);
    }
    const part: HlsPart = {
      id: this.nextPartId++,
      msn: seg.msn,
      index: seg.parts.length,
      durationMs: chunk.durationMs,
      independent: chunk.independent,
      data: chunk.data,
    };
    seg.parts.push(part);
    seg.durationMs += chunk.durationMs;
    seg.byteLength += chunk.data.length;
    this.bytes += chunk.data.length;
    this.maxPartMs = Math.max(this.maxPartMs, chunk.durationMs);
    if (chunk.segmentEnd) this.close();
    else this.prune();
    return part;
  }

  /** Completes the open segment (a keyframe cut, or the end of a run). */
  close(): void {
    const seg = this.open;
    if (!seg) return;
    seg.complete = true;
    this.maxSegmentMs = Math.max(this.maxSegmentMs, seg.durationMs);
    this.prune();
  }

  /** A complete segment by number. */
  segment(msn: number): HlsSegment | undefined {
    const s = this.segments.find((x) => x.msn === msn);
    return s?.complete ? s : undefined;
  }

  part(id: number): HlsPart | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const parts = this.segments[i].parts;
      if (parts.length > 0 && parts[0].id <= id) return parts[id - parts[0].id];
    }
    return undefined;
  }

  /** Msn of the newest segment, open or not (null: nothing yet). */
  lastMsn(): number | null {
    return this.segments.length > 0 ? this.segments[this.segments.length - 1].msn : null;
  }

  /**
   * Whether a playlist now holds part `index` of segment `msn` or anything
   * later (blocking reload, rfc8216bis 6.2.5.2). A part index past a complete
   * segment's last part means part 0 of the next segment; `index` null waits
   * for the whole segment.
   */
  has(msn: number, index: number | null): boolean {
    const newest = this.segments[this.segments.length - 1];
    if (!newest || msn > newest.msn) return false;
    const seg = this.segments.find((s) => s.msn === msn);
    if (!seg) return true; // older than the window: long available
    if (index === null) return seg.complete;
    if (index < seg.parts.length) return true;
    if (!seg.complete) return false;
    const next = this.segments.find((s) => s.msn === msn + 1);
    return next !== undefined && next.parts.length > 0;
  }

  /** Init ids still needed by some held segment. */
  initIds(): Set<number> {
    return new Set(this.segments.map((s) => s.initId));
  }

  private prune(): void {
    const complete = () => this.segments.filter((s) => s.complete).length;
    while (this.segments.length > 1 && this.segments[0].complete) {
      const over = complete() > this.opts.keepSegments || (this.bytes > this.opts.maxBytes && complete() > 1);
      if (!over) break;
      this.bytes -= this.segments.shift()!.byteLength;
    }
  }
}
