import { join } from 'node:path';
import type { Logger } from 'pino';
import { QueuedConsumer, type QueueItem } from '../hub/queued-consumer.js';
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import type { SegmentFormat, SegmentProgress, Segments } from '../storage/segments.js';
import { FlvSegmentWriter } from './formats/flv-segment.js';
import { Mp4SegmentWriter } from './formats/mp4-segment.js';
import type { SegmentTracks, SegmentWriter, WriterOutput } from './formats/segment-writer.js';
import { IndexWriter, type SegmentRef } from './index-writer.js';
import { encodeKeyframes, type KeyframeEntry } from './keyframe-index.js';
import { salvageSegment } from './salvage.js';
import { segmentPath } from './segment-path.js';
import { SegmentFile } from './segment-file.js';
import { Segmenter, type SegmenterEvent, type SegmenterOptions } from './segmenter.js';

export interface RecorderOptions {
  cameraId: string;
  format: SegmentFormat;
  segmenter: SegmenterOptions;
  dataDir: string;
  segments: Segments;
  log: Logger;
  /** 0: sync only when a segment closes */
  fsyncIntervalMs: number;
  /** how often the open segment's row is brought up to date */
  indexIntervalMs: number;
  /** frames allowed to wait for the disk before the recorder skips to the next keyframe */
  maxQueuedBytes: number;
  now?: () => number;
  /** the disk's say on writing (src/retention/); without it the recorder always writes */
  storage?: StorageGate;
  /** where rows are written; default: the writer shared by all recorders of `segments` */
  index?: IndexWriter;
}

/**
 * Set by retention (src/retention/disk-gate.ts): while `writable` is false
 * (the disk is below its free-space floor and nothing is left to delete) the
 * recorder writes nothing and live view goes on; `check` asks it to look at
 * free space now.
 */
export interface StorageGate {
  readonly writable: boolean;
  check(cause: 'segment-open' | 'write-error', err?: unknown): void;
}

interface OpenSegment {
  /** its row (the id comes once the database has taken the insert: see index-writer.ts) */
  ref: SegmentRef;
  format: SegmentFormat;
  file: SegmentFile;
  writer: SegmentWriter;
  tracks: SegmentTracks;
  startMs: number;
  startDts: number;
  frames: number;
  seek: KeyframeEntry[];
  /** wall time just after the last frame written */
  endMs: number;
  syncedAt: number;
  indexedAt: number;
}

/** Flush to the OS before this much is queued in memory, whatever the timer says. */
const FLUSH_BYTES = 1 << 20;

/**
 * A new run's first segment waits this long for the audio track before its
 * file is written: G.711 has no sequence header (its config appears with the
 * first audio frame) and AAC's often trails the first keyframe. Without the
 * wait the file would miss audio, or be cut a GOP later and lose the frames
 * in between.
 */
const TRACK_WAIT_MS = 1000;

/** A segment whose file is not written yet: its frames wait until the tracks are known. */
interface StartingSegment {
  startMs: number;
  startDts: number;
  pending: { frame: MediaFrame; wallMs: number }[];
}

/**
 * Records one camera: attached to the hub through a bounded queue, it cuts the
 * stream into segment files (segmenter.ts), writes them (segment-file.ts) and
 * keeps their rows in the index current. All file work for a camera happens
 * in its queue, in order.
 */
export class Recorder {
  readonly consumer: QueuedConsumer;
  private readonly segmenter: Segmenter;
  private tracks: SegmentTracks = { video: null, audio: null };
  private seg: OpenSegment | null = null;
  private starting: StartingSegment | null = null;
  /** this publish has had a segment written: its tracks are known, later segments need not wait */
  private tracksSettled = false;
  private readonly now: () => number;
  private readonly log: Logger;
  /** recording is held by the storage gate (logged once per pause) */
  private paused = false;
  /** the format of segments opened from now on (settings can change at runtime) */
  private format: SegmentFormat;
  private readonly index: IndexWriter;
  /** writes are failing (disk full, I/O errors): logged once, until a segment is written whole again */
  private failing: { sinceMs: number; failures: number } | null = null;

  constructor(private readonly opts: RecorderOptions) {
    this.now = opts.now ?? Date.now;
    this.format = opts.format;
    this.log = opts.log.child({ camera: opts.cameraId });
    this.index = opts.index ?? IndexWriter.for(opts.segments, opts.log, this.now);
    this.segmenter = new Segmenter(opts.segmenter);
    this.consumer = new QueuedConsumer((item) => this.handle(item), {
      kind: 'recorder',
      maxQueuedBytes: opts.maxQueuedBytes,
      now: this.now,
      onDrop: (n) => this.log.warn({ frames: n }, 'recorder fell behind the disk: frames dropped up to the next keyframe'),
      onError: (err) => this.log.error({ err }, 'recorder error'),
    });
  }

  /** Finish the open segment (shutdown, recording turned off); waits for the queue to drain first. */
  async stop(reason = 'shutdown'): Promise<void> {
    await this.consumer.idle();
    await this.apply(this.segmenter.finish(reason));
    this.index.flush();
  }

  /**
   * New settings at runtime: the open segment is closed at the next keyframe
   * (finalised and indexed, reason `settings-changed`) and the one that starts
   * there has the new format and length. No frame is lost between the two.
   */
  reconfigure(settings: { format: SegmentFormat; segmentMs: number }): void {
    this.format = settings.format;
    this.segmenter.setSegmentMs(settings.segmentMs);
    this.segmenter.cutAtNextStart('settings-changed');
  }

  private handle(item: QueueItem): void | Promise<void> {
    switch (item.type) {
      case 'frame': {
        const events = this.segmenter.push(item.frame, item.at);
        // the common case, one frame into the open segment, stays synchronous unless it flushes
        const only = events.length === 1 ? events[0] : null;
        return only?.type === 'frame' ? this.write(only.frame, only.wallMs) : this.apply(events);
      }
      case 'config':
        return this.onConfig(item.config);
      case 'end':
        return this.onEnd();
      case 'tick':
        return this.onTick(item.at);
      default:
    }
  }

  private async onEnd(): Promise<void> {
    await this.apply(this.segmenter.finish('publish-ended'));
    this.tracks = { video: null, audio: null };
    this.tracksSettled = false;
  }

  private async onConfig(config: CodecConfig): Promise<void> {
    const current = this.tracks[config.track];
    this.tracks = { ...this.tracks, [config.track]: config };
    if (this.starting) {
      if (config.track === 'audio') await this.startFile();
      return;
    }
    // a segment file holds one configuration: a new SPS or a late audio track starts a new file
    if (this.seg && !sameConfig(current, config)) await this.apply(this.segmenter.cutAtNextKeyframe('config-change'));
  }

  private async apply(events: SegmenterEvent[]): Promise<void> {
    for (const ev of events) {
      if (ev.type === 'open') await this.beginSegment(ev.startMs, ev.startDts);
      else if (ev.type === 'frame') await this.write(ev.frame, ev.wallMs);
      else {
        await this.startFile();
        await this.closeSegment(ev.endMs, ev.reason);
      }
    }
  }

  /** Segments after a cut in the same run know their tracks; a run's first waits briefly for audio. */
  private async beginSegment(startMs: number, startDts: number): Promise<void> {
    this.starting = { startMs, startDts, pending: [] };
    if (this.tracks.audio || this.tracksSettled) await this.startFile();
  }

  /** Writes the waiting segment's file with the tracks known now, then its held frames. */
  private async startFile(): Promise<void> {
    const st = this.starting;
    if (!st) return;
    this.starting = null;
    this.tracksSettled = true;
    await this.openSegment(st.startMs, st.startDts);
    for (const p of st.pending) await this.write(p.frame, p.wallMs);
  }

  private async openSegment(startMs: number, startDts: number): Promise<void> {
    const { cameraId, dataDir } = this.opts;
    const format = this.format;
    if (!this.mayWrite()) {
      this.seg = null;
      await this.apply(this.segmenter.cutAtNextKeyframe('storage-paused')); // asks again at the next keyframe
      return;
    }
    this.opts.storage?.check('segment-open');
    let created: SegmentFile | undefined;
    try {
      const { rel, file } = await createSegmentFile(dataDir, cameraId, startMs, format);
      created = file;
      const tracks = this.tracks;
      const writer: SegmentWriter = format === 'mp4' ? new Mp4SegmentWriter(tracks) : new FlvSegmentWriter(tracks);
      file.append(writer.begin());
      const v = tracks.video?.track === 'video' ? tracks.video.info : null;
      const ref = this.index.open({
        cameraId,
        startMs,
        format,
        path: rel,
        videoCodec: v?.codecString ?? null,
        audioCodec: tracks.audio?.info.codecString ?? null,
        width: v?.width ?? null,
        height: v?.height ?? null,
      });
      const now = this.now();
      this.seg = { ref, format, file, writer, tracks, startMs, startDts, frames: 0, seek: [], endMs: startMs, syncedAt: now, indexedAt: now };
      this.log.debug({ segment: ref.id, path: rel }, 'segment opened');
    } catch (err) {
      this.writeFailed(err, {}, 'could not open a segment file; retrying at the next keyframe');
      // nothing of it reached the disk: don't leave its descriptor open or an empty file behind
      if (created) await created.discard();
      this.seg = null;
      await this.apply(this.segmenter.cutAtNextKeyframe('write-error'));
    }
  }

  /** Synchronous (no promise) unless the frame starts a file or a flush. */
  private write(frame: MediaFrame, wallMs: number): void | Promise<void> {
    const st = this.starting;
    if (st) {
      st.pending.push({ frame, wallMs });
      if (wallMs - st.startMs >= TRACK_WAIT_MS) return this.startFile();
      return;
    }
    const seg = this.seg;
    if (!seg) return;
    if (!this.mayWrite()) return this.apply(this.segmenter.cutAtNextKeyframe('storage-paused'));
    const relMs = Math.max(0, frame.dts - seg.startDts);
    const out = seg.writer.frame(frame, relMs);
    this.take(seg, out);
    seg.frames++;
    seg.endMs = Math.max(seg.endMs, wallMs);
    // a finished fMP4 fragment goes to the OS at once: it already waited a second to be complete
    const fragmentDone = seg.format === 'mp4' && out.parts.length > 0;
    if (fragmentDone || seg.file.pendingBytes >= FLUSH_BYTES) return this.guard(seg, () => seg.file.flush());
  }

  private take(seg: OpenSegment, out: WriterOutput): void {
    seg.file.append(out.parts);
    for (const p of out.seekPoints) seg.seek.push({ timeMs: seg.startMs + p.relMs, offset: p.offset });
  }

  private async closeSegment(endMs: number, reason: string): Promise<void> {
    const seg = this.seg;
    if (!seg) return;
    this.seg = null;
    this.take(seg, seg.writer.end());
    const bytes = seg.file.size;
    try {
      await seg.file.close();
    } catch (err) {
      this.writeFailed(err, { segment: seg.ref.id }, 'segment close failed');
      await this.endAfterWriteError(seg);
      return;
    }
    this.index.close(seg.ref, { endMs: Math.max(endMs, seg.startMs), bytes, frames: seg.frames, keyframes: this.keyframes(seg), reason });
    this.log.debug({ segment: seg.ref.id, reason, bytes }, 'segment closed');
    this.writeWorks();
  }

  /** At least once a second: frames to the OS; sync and index on their own intervals. */
  private async onTick(now: number): Promise<void> {
    this.index.retry();
    const seg = this.seg;
    if (!seg) return;
    await this.guard(seg, async () => {
      await seg.file.flush();
      if (this.opts.fsyncIntervalMs > 0 && now - seg.syncedAt >= this.opts.fsyncIntervalMs) {
        await seg.file.sync();
        seg.syncedAt = now;
      }
    });
    if (this.seg === seg && now - seg.indexedAt >= this.opts.indexIntervalMs) {
      seg.indexedAt = now;
      this.index.progress(seg.ref, { endMs: seg.endMs, bytes: seg.file.written, frames: seg.frames, keyframes: this.keyframes(seg) });
    }
  }

  /** A failed write ends the segment with what reached the disk; the next keyframe tries a new file. */
  private async guard(seg: OpenSegment, io: () => Promise<void>): Promise<void> {
    try {
      await io();
    } catch (err) {
      this.writeFailed(err, { segment: seg.ref.id }, 'write to segment failed; closing it');
      if (this.seg === seg) this.seg = null;
      await this.endAfterWriteError(seg);
      this.segmenter.cutAtNextKeyframe('write-error');
    }
  }

  /**
   * Finalises a segment whose write failed from what its file really holds
   * (salvage.ts: cut back to whole frames; removed if none made it), so the
   * index never claims footage the disk refused.
   */
  private async endAfterWriteError(seg: OpenSegment): Promise<void> {
    await seg.file.abandon();
    let kept: SegmentProgress | null;
    try {
      kept = await salvageSegment(seg.file.path, seg.format, seg.startMs);
    } catch (err) {
      // unreadable too: index what the OS accepted; recovery rescans it at the next start
      this.log.debug({ err, segment: seg.ref.id }, 'could not read back a segment after a write error');
      const written = seg.file.written;
      kept = { endMs: seg.endMs, bytes: written, frames: seg.frames, keyframes: this.keyframes(seg, written) };
    }
    if (kept) this.index.close(seg.ref, { ...kept, reason: 'write-error' });
    else this.index.remove(seg.ref);
  }

  /**
   * A full or failing disk fails every segment the camera starts: the first
   * failure is logged (and retention asked to look at free space), the rest
   * only at debug level until a segment is written whole again.
   */
  private writeFailed(err: unknown, fields: Record<string, unknown>, message: string): void {
    if (this.failing) {
      this.failing.failures++;
      this.log.debug({ err, ...fields }, message);
      return;
    }
    this.failing = { sinceMs: this.now(), failures: 1 };
    this.log.error({ err, ...fields }, message);
    this.opts.storage?.check('write-error', err);
  }

  private writeWorks(): void {
    if (!this.failing) return;
    this.log.info({ failures: this.failing.failures, failingMs: this.now() - this.failing.sinceMs }, 'segments are written again after write errors');
    this.failing = null;
  }

  /** The storage gate's answer, logged when it changes. */
  private mayWrite(): boolean {
    const writable = this.opts.storage?.writable ?? true;
    if (writable === this.paused) {
      this.paused = !writable;
      if (this.paused) this.log.warn('recording paused: the disk is below its free-space floor (live view goes on)');
      else this.log.info('recording resumed');
    }
    return writable;
  }

  private keyframes(seg: OpenSegment, below = Infinity): Buffer {
    return encodeKeyframes(seg.startMs, seg.seek.filter((k) => k.offset < below));
  }
}

async function createSegmentFile(dataDir: string, cameraId: string, startMs: number, format: SegmentFormat): Promise<{ rel: string; file: SegmentFile }> {
  // two segments of one camera can start in the same ms (a reconnect): add a suffix rather than overwrite
  for (let n = 0; ; n++) {
    const rel = segmentPath(cameraId, startMs, format, n);
    try {
      return { rel, file: await SegmentFile.create(join(dataDir, rel)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 9) throw err;
    }
  }
}

function sameConfig(a: CodecConfig | null, b: CodecConfig): boolean {
  return a !== null && a.codec === b.codec && a.record.equals(b.record);
}
