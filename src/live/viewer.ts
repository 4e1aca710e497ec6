/**
 * LiveViewer: one live client of a camera, whatever the container (FLV,
 * fMP4) or the transport (HTTP, WebSocket, later RTMP play). It is a
 * synchronous hub consumer that never queues frames itself: each frame is
 * muxed and handed to the socket at once, or skipped when the client is too
 * far behind, so neither the recorder nor other viewers ever wait for it.
 *
 * - Start: attached with `fromKeyframe`, the cached GOP is replayed at once;
 *   nothing is sent before a video keyframe (any audio frame when the stream
 *   has no video).
 * - Slow client: while the output holds more than `maxBufferedBytes`, frames
 *   are skipped; delivery resumes at a keyframe once it has drained below
 *   half. Over the limit for longer than `maxBehindMs`: closed.
 * - Publisher reconnect: the connection stays open; the new publisher's
 *   clock is rebased to continue just after the last frame sent, and the
 *   format sends new codec configuration in-stream where it can.
 */
import type { Logger } from 'pino';
import type { LiveStream } from '../hub/live-stream.js';
import type { StreamConsumer } from '../hub/stream-consumer.js';
import type { CodecConfig, MediaFrame, StreamMetadata } from '../media/frame.js';
import type { ByteOutput, Unit } from './transports.js';

export type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
export type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

/** The stream's configuration as the viewer last saw it. */
export interface LiveTracks {
  video: VideoConfig | null;
  audio: AudioConfig | null;
  metadata: StreamMetadata | null;
}

/** A container producing bytes for one viewer (flv-live.ts, mp4-live.ts). Frame times are already rebased. */
export interface LiveFormat {
  readonly name: string;
  /** First bytes: header, metadata, sequence headers / init segment. null: nothing this format can carry. */
  begin(tracks: LiveTracks): Unit[] | null;
  /**
   * The codec configuration changed after begin (a publisher reconnect, a
   * camera's new SPS); `atMs` is the output clock now. null: this format
   * cannot follow the change, the viewer closes so the client reconnects.
   */
  reconfigure(tracks: LiveTracks, atMs: number): Unit[] | null;
  frame(frame: MediaFrame): Unit[];
  /** The publisher went away: whatever is held back (an fMP4 fragment's last frame). */
  flush(): Unit[];
  /** MIME type with codecs for MSE (fMP4 only), valid after begin/reconfigure. */
  mimeType?(): string | null;
}

export interface ViewerLimits {
  /** output bytes allowed to wait in the socket; default 4 MiB */
  maxBufferedBytes?: number;
  /** close a client that stays over maxBufferedBytes this long, ms; default 10 s */
  maxBehindMs?: number;
}

export interface LiveViewerOptions extends ViewerLimits {
  format: LiveFormat;
  output: ByteOutput;
  /** pino or fastify's request logger */
  log: Pick<Logger, 'warn' | 'error'>;
  now?: () => number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_BEHIND_MS = 10_000;
/** a publisher clock jump larger than this (either way) is a discontinuity: rebase */
const MAX_JUMP_MS = 5_000;

/**
 * Publisher ms -> output ms. Starts at 0; after restart() (a new publisher)
 * or a clock jump, the next frame comes one video frame interval after the
 * last video frame sent (and after anything sent), so times only increase
 * and players (MSE above all) see neither a gap nor an overlap.
 */
export class OutputClock {
  private offset: number | null = null;
  /** latest output time of any track, and of video */
  private last = -1;
  private lastVideo = -1;
  private lastVideoIn: number | null = null;
  /** the video frame interval, to place the first frame after a rebase */
  private step = 40;

  restart(): void {
    this.offset = null;
    this.lastVideoIn = null;
  }

  map(frame: MediaFrame): MediaFrame {
    if (this.offset === null || Math.abs(frame.dts + this.offset - this.last) > MAX_JUMP_MS) {
      const next = this.last < 0 ? 0 : this.lastVideo < 0 ? this.last + this.step : Math.max(this.lastVideo + this.step, this.last + 1);
      this.offset = next - frame.dts;
    }
    if (frame.track === 'video') {
      const d = this.lastVideoIn === null ? 0 : frame.dts - this.lastVideoIn;
      if (d > 0 && d <= 1000) this.step = d;
      this.lastVideoIn = frame.dts;
    }
    // audio interleaved just before the first keyframe would map below 0: FLV has no negative times
    const dts = Math.max(0, frame.dts + this.offset);
    this.last = Math.max(this.last, dts);
    if (frame.track === 'video') this.lastVideo = Math.max(this.lastVideo, dts);
    return { ...frame, dts, pts: dts + frame.pts - frame.dts };
  }
}

export class LiveViewer implements StreamConsumer {
  readonly kind = 'viewer' as const;
  readonly stats = { framesSent: 0, framesSkipped: 0, skips: 0 };
  private readonly tracks: LiveTracks = { video: null, audio: null, metadata: null };
  private readonly clock = new OutputClock();
  private readonly maxBuffered: number;
  private readonly maxBehindMs: number;
  private readonly now: () => number;
  private started = false;
  private configChanged = false;
  /** skip until a start point: at the beginning, after a reconnect, after an overflow */
  private waitForKeyframe = true;
  private overSince: number | null = null;
  private announced: string | null = null;
  private detach: (() => void) | null = null;
  private closed = false;
  private closeListeners: ((reason: string) => void)[] = [];

  constructor(private readonly opts: LiveViewerOptions) {
    this.maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxBehindMs = opts.maxBehindMs ?? DEFAULT_MAX_BEHIND_MS;
    this.now = opts.now ?? Date.now;
    opts.output.onClose(() => this.close('client went away'));
  }

  /** Attaches to the stream (replaying its GOP now); the viewer detaches itself when either side closes. */
  attach(stream: LiveStream): void {
    if (this.closed) return;
    this.detach = stream.attach(this, { fromKeyframe: true });
  }

  /** Called once with the reason when the viewer ends. */
  onClose(fn: (reason: string) => void): void {
    this.closeListeners.push(fn);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.detach?.();
    this.detach = null;
    this.opts.output.destroy(reason); // even when closing: a close handshake the client never reads would linger
    for (const fn of this.closeListeners) fn(reason);
  }

  onConfig(config: CodecConfig): void {
    if (config.track === 'video') this.tracks.video = config;
    else this.tracks.audio = config;
    if (this.started) this.configChanged = true;
  }

  onMetadata(metadata: StreamMetadata): void {
    this.tracks.metadata = metadata;
  }

  onPublishStart(): void {
    this.clock.restart();
    this.waitForKeyframe = true;
  }

  onPublishEnd(): void {
    if (this.started) this.guard(() => this.send(this.opts.format.flush()));
  }

  onStreamClosed(reason: string): void {
    if (this.started) this.guard(() => this.send(this.opts.format.flush()));
    this.close(reason);
  }

  onFrame(frame: MediaFrame): void {
    if (this.closed || !this.admit(frame)) return;
    this.guard(() => {
      const format = this.opts.format;
      if (!this.started) {
        this.started = true;
        this.configChanged = false;
        const units = format.begin(this.tracks);
        if (!units) return this.close(`${format.name}: no track this format can carry`);
        this.announce();
        this.send(units);
      }
      const out = this.clock.map(frame);
      if (this.configChanged) {
        this.configChanged = false;
        const units = format.reconfigure(this.tracks, out.dts);
        if (!units) return this.close(`${format.name}: codec change this format cannot follow`);
        this.announce();
        this.send(units);
      }
      this.send(format.frame(out));
      this.stats.framesSent++;
    });
  }

  /** Backpressure and start points: whether this frame goes out. */
  private admit(frame: MediaFrame): boolean {
    const buffered = this.opts.output.bufferedBytes();
    if (buffered > this.maxBuffered) {
      const now = this.now();
      this.overSince ??= now;
      if (!this.waitForKeyframe) this.stats.skips++;
      this.waitForKeyframe = true;
      this.stats.framesSkipped++;
      if (now - this.overSince > this.maxBehindMs) {
        this.opts.log.warn({ buffered, behindMs: now - this.overSince, format: this.opts.format.name }, 'live viewer too slow, closing it');
        this.close('too slow');
      }
      return false;
    }
    this.overSince = null;
    if (this.waitForKeyframe) {
      const startPoint = frame.track === 'video' ? frame.keyframe : this.tracks.video === null;
      if (!startPoint || buffered > this.maxBuffered / 2) {
        this.stats.framesSkipped++;
        return false;
      }
      this.waitForKeyframe = false;
    }
    return true;
  }

  private announce(): void {
    const mime = this.opts.format.mimeType?.() ?? null;
    if (mime && mime !== this.announced) {
      this.announced = mime;
      this.opts.output.announce(mime);
    }
  }

  private send(units: Unit[]): void {
    for (const u of units) if (u.length > 0) this.opts.output.write(u);
  }

  /** A muxing error ends this viewer only; the hub and other consumers never see it. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err, format: this.opts.format.name }, 'live viewer failed');
      this.close('error');
    }
  }
}
