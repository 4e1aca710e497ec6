/**
 * One camera's HLS packager: a hub consumer turning frames into an fMP4 init
 * segment and a window of CMAF segments and parts, plus the playlist over
 * them. All synchronous and quick, as hub consumers must be: per frame a
 * sample is queued, per part (~200 ms) one moof+mdat is built and copied.
 *
 * A "run" is a stretch with one init segment and a continuous clock. A new
 * publisher or a changed codec configuration ends it; the next run starts at
 * the next keyframe behind an EXT-X-DISCONTINUITY (RFC 8216 4.3.2.3), with a
 * new EXT-X-MAP when the init segment differs. Decode times continue from the
 * previous run, and sequence numbers only increase (RFC 8216 6.2.2).
 */
import type { BaseLogger } from 'pino';
import type { CodecConfig, MediaFrame } from '../../media/frame.js';
import type { LiveStream } from '../../hub/live-stream.js';
import type { StreamConsumer } from '../../hub/stream-consumer.js';
import { CmafChunker, type AudioConfig, type Chunk, type VideoConfig } from './cmaf-chunker.js';
import { hlsAudio, type HlsNumbering, type HlsSettings } from './hls-settings.js';
import { partTarget, renderPlaylist, targetDuration } from './playlist.js';
import { SegmentWindow } from './segment-window.js';

export interface HlsPackagerOptions {
  cameraId: string;
  settings: HlsSettings;
  numbering: HlsNumbering;
  /** fastify's or pino's */
  log: Pick<BaseLogger, 'debug' | 'warn'>;
  now: () => number;
}

function sameConfig(a: CodecConfig | null, b: CodecConfig | null): boolean {
  if (!a || !b) return a === b;
  return a.codec === b.codec && a.record.equals(b.record);
}

export class HlsPackager implements StreamConsumer {
  readonly kind = 'other' as const;
  readonly window: SegmentWindow;
  /** when a client last asked for anything of this camera (the owner stops idle packagers) */
  lastRequestAt: number;
  stopped = false;
  private video: VideoConfig | null = null;
  private audio: AudioConfig | null = null;
  private chunker: CmafChunker | null = null;
  private restartAtKeyframe = true;
  private discontinuity = false;
  private init: { id: number; data: Buffer } | null = null;
  private readonly inits = new Map<number, Buffer>();
  private nextInitId: number;
  private timelineEndMs = 0;
  private sequence = 1;
  private readonly waiters = new Set<() => void>();
  private detach: (() => void) | null = null;

  constructor(private readonly opts: HlsPackagerOptions) {
    const s = opts.settings;
    this.window = new SegmentWindow({
      firstMsn: opts.numbering.msn,
      firstPartId: opts.numbering.partId,
      keepSegments: s.playlistSegments + s.retainSegments,
      maxBytes: s.maxBytes,
    });
    this.nextInitId = opts.numbering.initId;
    this.lastRequestAt = opts.now();
  }

  /** Attaches to the stream; the GOP cache replay means the first segment needs no wait for a keyframe. */
  start(stream: LiveStream): void {
    this.detach = stream.attach(this, { fromKeyframe: true });
  }

  /** Detaches and drops the media; waiting requests are released. */
  stop(): void {
    this.stopped = true;
    this.detach?.();
    this.detach = null;
    this.chunker = null;
    this.wake();
  }

  /** Numbers the next packager for this camera must start above. */
  numbering(): HlsNumbering {
    return { msn: (this.window.lastMsn() ?? this.opts.numbering.msn - 1) + 1, partId: this.window.nextPartId, initId: this.nextInitId };
  }

  onConfig(config: CodecConfig): void {
    if (config.track === 'video') {
      if (!sameConfig(this.video, config)) this.restartAtKeyframe = true;
      this.video = config;
      return;
    }
    const audio = hlsAudio(config);
    if (!audio) this.opts.log.debug({ camera: this.opts.cameraId, codec: config.codec }, 'audio left out of HLS: players cannot decode it in fMP4');
    if (!sameConfig(this.audio, audio)) this.restartAtKeyframe = true;
    this.audio = audio;
  }

  onFrame(frame: MediaFrame): void {
    if (frame.track === 'video' && frame.keyframe && this.restartAtKeyframe && this.video) this.startRun(this.video);
    const chunker = this.chunker;
    if (!chunker) return;
    try {
      for (const chunk of chunker.push(frame)) this.add(chunker, chunk);
    } catch (err) {
      // thrown out of here the hub would detach us for good; a bad frame should cost one GOP
      this.opts.log.warn({ err, camera: this.opts.cameraId }, 'HLS packaging failed; resuming at the next keyframe');
      this.endRun(false);
      this.restartAtKeyframe = true;
    }
  }

  onPublishStart(): void {
    this.endRun();
    this.video = this.audio = null;
    this.restartAtKeyframe = true;
  }

  onPublishEnd(): void {
    this.endRun();
  }

  /** The camera was removed: stop; HlsLive.forget drops this packager. */
  onStreamClosed(): void {
    this.stop();
  }

  /** A complete segment exists: a playlist can be served. */
  ready(): boolean {
    return this.window.completed().length > 0;
  }

  /** Media is being packaged right now (a run is on). */
  get running(): boolean {
    return this.chunker !== null;
  }

  initSegment(id?: number): Buffer | undefined {
    return id === undefined ? this.init?.data : this.inits.get(id);
  }

  targetDurationS(): number {
    return targetDuration(this.window.maxSegmentMs);
  }

  partTargetMs(): number {
    return partTarget(this.opts.settings.partMs, this.window.maxPartMs);
  }

  /** The playlist now; call only when ready(). */
  playlist(): string {
    const s = this.opts.settings;
    const listed = this.window.completed().slice(-s.playlistSegments);
    const open = s.lowLatency ? this.window.open : null;
    const td = this.targetDurationS();
    // parts only for the segments within 3 target durations of the end (rfc8216bis 6.2.2)
    let partsFromMsn = open?.msn ?? listed[listed.length - 1].msn + 1;
    let tail = 0;
    for (let i = listed.length - 1; i >= 0 && (tail += listed[i].durationMs) <= 3 * td * 1000; i--) partsFromMsn = listed[i].msn;
    return renderPlaylist({
      segments: open ? [...listed, open] : listed,
      targetDurationS: td,
      partTargetMs: s.lowLatency ? this.partTargetMs() : null,
      partsFromMsn,
      preloadPartId: this.running ? this.window.nextPartId : null,
    });
  }

  /** Resolves true once `ready` holds, false after `timeoutMs` or when stopped. */
  waitFor(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (ready()) finish(true);
        else if (this.stopped) finish(false);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  private startRun(video: VideoConfig): void {
    this.endRun();
    const s = this.opts.settings;
    this.restartAtKeyframe = false;
    let chunker: CmafChunker;
    let data: Buffer;
    try {
      chunker = new CmafChunker({
        video,
        audio: this.audio,
        partMs: s.partMs,
        segmentMs: s.segmentMs,
        maxSegmentMs: s.maxSegmentMs,
        startAtMs: this.timelineEndMs,
        sequenceStart: this.sequence,
      });
      data = chunker.initSegment();
    } catch (err) {
      // a configuration MP4 cannot describe: wait for another one rather than retry every keyframe
      this.opts.log.warn({ err, camera: this.opts.cameraId }, 'HLS cannot package this stream');
      return;
    }
    if (!this.init || !this.init.data.equals(data)) {
      this.init = { id: this.nextInitId++, data };
      this.inits.set(this.init.id, data);
    }
    this.chunker = chunker;
    this.opts.log.debug({ camera: this.opts.cameraId, init: this.init.id, tracks: chunker.tracks.map((t) => t.config.info.codecString) }, 'HLS run started');
  }

  /** Ends the run: its media is emitted (unless it failed) and its last segment completed. */
  private endRun(flush = true): void {
    const chunker = this.chunker;
    if (!chunker) return;
    if (flush) for (const chunk of chunker.flush()) this.add(chunker, chunk);
    this.window.close();
    this.timelineEndMs = Math.ceil(chunker.endMs);
    this.sequence = chunker.sequence;
    this.chunker = null;
    this.discontinuity = true;
    this.wake();
  }

  private add(chunker: CmafChunker, chunk: Chunk): void {
    // the newest frame arrived about now; the chunk's start is that much older
    const wallMs = this.opts.now() - (chunker.latestMs - chunk.startMs);
    this.window.add(chunk, { initId: this.init!.id, discontinuity: this.discontinuity, wallMs });
    if (chunk.segmentStart) {
      this.discontinuity = false;
      const used = this.window.initIds();
      for (const id of this.inits.keys()) if (!used.has(id) && id !== this.init!.id) this.inits.delete(id);
    }
    this.wake();
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }
}
