/**
 * One camera's motion pipeline: keyframes from the hub -> the camera's ffmpeg
 * decoder -> thumbnails, analysis, events. The hub's calls only copy a
 * keyframe into the decoder's pipe (or drop it when the decoder is behind);
 * everything slow happens on the decoder's output, one picture at a time.
 * Nothing here can stop or slow recording: a missing, crashing or stuck
 * ffmpeg only changes this camera's motion status, and is restarted with
 * backoff.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.js';
import type { EventEndReason, EventStore } from '../events/event-store.js';
import type { StreamConsumer } from '../hub/stream-consumer.js';
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import { annexBAccessUnit, parameterSets } from './access-unit.js';
import { DecoderProcess, type DecoderExit, type Picture } from './decoder-process.js';
import { EventTracker, type TrackerAction, type TrackerSettings } from './event-tracker.js';
import { analysisSize, toGrayGrid } from './gray-frame.js';
import { MediaClock } from './media-clock.js';
import { MotionDetector, type DetectorSettings } from './motion-detector.js';
import type { CameraMotionStatus as MotionStatus, MotionState } from '../hub/camera-status.js';
import { encodeJpeg, thumbnailSize } from './thumbnailer.js';
import type { ThumbnailStore } from './thumbnail-store.js';

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;

export interface MotionDefaults {
  ffmpegPath: string;
  thumbnailWidth: number;
  jpegQuality: number;
  /** at most one stored thumbnail per this, ms */
  thumbnailIntervalMs: number;
  restartMinMs: number;
  restartMaxMs: number;
}

export interface CameraMotionSettings {
  detector: DetectorSettings;
  tracker: TrackerSettings;
  /** null: keyframes only; else also this many decoded pictures per second */
  extraFps: number | null;
}

interface FrameMeta {
  wallMs: number;
  keyframe: boolean;
}

/** Keyframes closer than this are not all decoded (an all-intra stream would cost a decode per frame). */
const MIN_KEYFRAME_GAP_MS = 400;
/** Frame bytes ffmpeg may have unread in its pipe before frames are dropped: a few 4K keyframes. */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;
/** Keyframes sent without a picture back (decoder reorder delay is 0..4) before new ones are dropped. */
const MAX_PENDING_KEYFRAMES = 8;
/** Pictures waiting for analysis before new ones are dropped. */
const MAX_QUEUED_PICTURES = 3;
/** Sent frames but no picture for this long: the decoder is stuck and is restarted. */
const STALL_MS = 45_000;
/** Keyframes in a row that ffmpeg returned nothing for before the status says so. */
const UNDECODABLE_REPORT = 3;

export class CameraMotion {
  readonly consumer: StreamConsumer;
  private video: VideoConfig | null = null;
  private params: Buffer[] = [];
  private decoder: DecoderProcess<FrameMeta> | null = null;
  private retiring = new Set<DecoderProcess<FrameMeta>>();
  private live = false;
  private state: MotionState = 'idle';
  private message: string | undefined;
  private restartAt = 0;
  private backoffMs: number;
  private readonly clock = new MediaClock();
  private detector: MotionDetector | null = null;
  private readonly tracker: EventTracker;
  private eventId: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private queuedPictures = 0;
  private lastThumbMs = -Infinity;
  private lastKeyframeDts = -Infinity;
  private skipToKeyframe = false;
  private lastPictureAt = 0;
  private lastSentAt = 0;
  private decoderStartedAt = 0;
  private undecodable = 0;
  private stopped = false;
  readonly stats = { sent: 0, pictures: 0, dropped: 0, corrupt: 0, damaged: 0, skipped: 0, restarts: 0 };

  constructor(
    readonly cameraId: string,
    private readonly settings: CameraMotionSettings,
    private readonly defaults: MotionDefaults,
    private readonly stores: { thumbnails: ThumbnailStore; events: EventStore; bus: EventBus },
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.backoffMs = defaults.restartMinMs;
    this.tracker = new EventTracker(settings.tracker);
    this.consumer = {
      kind: 'motion',
      onConfig: (c) => this.onConfig(c),
      onFrame: (f) => this.onFrame(f),
      onPublishStart: () => this.onPublishStart(),
      onPublishEnd: () => this.onPublishEnd(),
    };
  }

  /** The running decoder's process id (diagnostics, benchmarks). */
  get decoderPid(): number | undefined {
    return this.decoder?.pid;
  }

  status(): MotionStatus {
    return { enabled: true, state: this.state, ...(this.message ? { message: this.message } : {}), active: this.tracker.ongoing };
  }

  /** Resolves when every picture received so far has been analysed and stored (tests, shutdown). */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  /** Periodic: a stuck decoder is restarted; an event whose pictures stopped coming is ended. */
  tick(): void {
    const now = this.now();
    const d = this.decoder;
    // frames still going in, none coming out: stuck (a quiet publisher is not)
    if (d && d.pendingFrames > 0 && now - this.lastSentAt < STALL_MS / 3 && now - Math.max(this.lastPictureAt, this.decoderStartedAt) > STALL_MS) {
      this.setState('decoder-error', `ffmpeg returned no picture for ${Math.round(STALL_MS / 1000)} s; restarted`);
      this.stats.restarts++;
      this.restartAt = now + this.backoffMs;
      this.backoffMs = Math.min(this.defaults.restartMaxMs, this.backoffMs * 2);
      d.kill();
    }
    if (this.tracker.ongoing && now - this.lastPictureAt > this.settings.tracker.endMs + STALL_MS) {
      this.enqueue(() => this.apply(this.tracker.end(this.live ? 'decoder-lost' : 'publish-ended'), null, 0));
    }
  }

  /** Ends the decoder and an ongoing event (`reason`: shutdown, settings-changed, camera-removed). */
  async stop(reason: EventEndReason = 'shutdown'): Promise<void> {
    this.stopped = true;
    const d = this.decoder;
    this.decoder = null;
    await Promise.all([...(d ? [d.end()] : []), ...[...this.retiring].map((r) => r.whenExited())]);
    this.enqueue(() => this.apply(this.tracker.end(reason), null, 0));
    await this.idle();
  }

  private onConfig(c: CodecConfig): void {
    if (c.track !== 'video') return;
    try {
      this.params = parameterSets(c);
    } catch (err) {
      this.video = null;
      this.setState('unsupported', `video configuration unusable: ${(err as Error).message}`);
      return;
    }
    const old = this.video;
    this.video = c;
    if (this.state === 'unsupported') this.setState('starting');
    // a new SPS (resolution, codec) needs a decoder that starts from it
    if (old && !old.record.equals(c.record)) this.retire();
  }

  private onPublishStart(): void {
    this.live = true;
    this.clock.reset();
    this.skipToKeyframe = false;
    this.lastKeyframeDts = -Infinity;
    this.backoffMs = this.defaults.restartMinMs;
    this.restartAt = 0;
    this.enqueue(() => this.detector?.reset());
    if (this.state === 'idle') this.setState('starting');
  }

  private onPublishEnd(): void {
    this.live = false;
    this.video = null;
    const d = this.decoder;
    if (d) this.retire();
    // the event ends after the last pictures the decoder still holds were analysed
    else this.enqueue(() => this.apply(this.tracker.end('publish-ended'), null, 0));
    if (this.state === 'starting' || this.state === 'ok') this.setState('idle');
  }

  private onFrame(frame: MediaFrame): void {
    if (frame.track !== 'video' || !this.video || this.stopped) return;
    const arrival = this.now();
    const wallMs = this.clock.wall(frame.pts, arrival);
    const extra = this.settings.extraFps !== null;
    if (!extra) {
      if (!frame.keyframe) return;
      if (frame.dts - this.lastKeyframeDts < MIN_KEYFRAME_GAP_MS && frame.dts >= this.lastKeyframeDts) return;
    } else if (this.skipToKeyframe) {
      if (!frame.keyframe) return;
      this.skipToKeyframe = false;
    }
    const d = this.ensureDecoder(arrival);
    if (!d) {
      this.skipToKeyframe = extra;
      return;
    }
    if (d.backlogBytes > MAX_BACKLOG_BYTES || (!extra && d.pendingFrames >= MAX_PENDING_KEYFRAMES)) {
      this.stats.dropped++;
      this.skipToKeyframe = extra;
      return;
    }
    let au: Buffer;
    try {
      au = annexBAccessUnit(this.video.codec, frame.payload, frame.keyframe ? this.params : []);
    } catch {
      this.stats.corrupt++;
      this.skipToKeyframe = extra;
      return;
    }
    if (frame.keyframe) this.lastKeyframeDts = frame.dts;
    this.stats.sent++;
    this.lastSentAt = arrival;
    d.send(frame.pts, au, { wallMs, keyframe: frame.keyframe });
  }

  private ensureDecoder(now: number): DecoderProcess<FrameMeta> | null {
    if (this.decoder?.alive) return this.decoder;
    if (!this.video || now < this.restartAt) return null;
    const info = this.video.info;
    const out = thumbnailSize(info.width, info.height, this.defaults.thumbnailWidth);
    const d: DecoderProcess<FrameMeta> = new DecoderProcess<FrameMeta>(
      {
        ffmpegPath: this.defaults.ffmpegPath,
        codec: this.video.codec,
        width: info.width,
        height: info.height,
        outWidth: out.width,
        outHeight: out.height,
        extraFps: this.settings.extraFps,
      },
      {
        onPicture: (p) => this.onPicture(d, p),
        onSkipped: (metas) => this.onSkipped(d, metas),
        onExit: (e) => this.onDecoderExit(d, e),
      },
      this.log,
    );
    this.decoder = d;
    this.decoderStartedAt = now;
    this.log.debug({ camera: this.cameraId, pid: d.pid, codec: this.video.codec, out }, 'decoder started');
    return d;
  }

  /** Lets the current decoder finish what it holds and exit; the next keyframe starts a new one. */
  private retire(): void {
    const d = this.decoder;
    if (!d) return;
    this.decoder = null;
    this.retiring.add(d);
    void d.end().finally(() => this.retiring.delete(d));
  }

  private onPicture(d: DecoderProcess<FrameMeta>, p: Picture<FrameMeta>): void {
    this.stats.pictures++;
    this.lastPictureAt = this.now();
    this.undecodable = 0;
    if (d === this.decoder && this.state !== 'ok') this.setState('ok');
    if (d.picturesOut >= 3) this.backoffMs = this.defaults.restartMinMs;
    if (this.queuedPictures >= MAX_QUEUED_PICTURES) {
      this.stats.dropped++;
      return;
    }
    this.queuedPictures++;
    this.enqueue(async () => {
      this.queuedPictures--;
      await this.analyse(p);
    });
  }

  private onSkipped(d: DecoderProcess<FrameMeta>, metas: FrameMeta[]): void {
    // in extraFps mode most frames are decoded only as references: that is not an error
    const lost = metas.filter((m) => m.keyframe).length;
    if (lost === 0 || !d.alive) return;
    this.stats.skipped += lost;
    this.undecodable += lost;
    if (this.undecodable >= UNDECODABLE_REPORT && d === this.decoder) {
      this.setState('decoder-error', `ffmpeg could not decode the last ${this.undecodable} keyframes${lastError(d.lastErrors)}`);
    }
  }

  private onDecoderExit(d: DecoderProcess<FrameMeta>, e: DecoderExit): void {
    if (this.decoder === d) this.decoder = null;
    const publishEnded = !this.live || this.stopped;
    // a spawn failure is news even for a decoder we were retiring
    if (e.requested && !e.error) {
      if (publishEnded && !this.stopped) this.enqueue(() => this.apply(this.tracker.end('publish-ended'), null, 0));
      return;
    }
    this.stats.restarts++;
    const now = this.now();
    this.restartAt = now + this.backoffMs;
    const retry = `; retrying in ${Math.round(this.backoffMs / 1000)} s`;
    this.backoffMs = Math.min(this.defaults.restartMaxMs, this.backoffMs * 2);
    if (e.error?.code === 'ENOENT' || e.error?.code === 'EACCES') {
      this.setState('decoder-missing', `ffmpeg not usable at ${this.defaults.ffmpegPath} (${e.error.code}); install ffmpeg or set motion.ffmpegPath${retry}`);
    } else {
      const how = e.signal ? `was killed (${e.signal})` : `exited with code ${e.code}`;
      this.setState('decoder-error', `ffmpeg ${how}${lastError(e.lastErrors)}${retry}`);
    }
    this.log.warn({ camera: this.cameraId, code: e.code, signal: e.signal, err: e.error?.message, lastErrors: e.lastErrors }, 'motion decoder stopped');
    this.enqueue(() => this.apply(this.tracker.end(publishEnded ? 'publish-ended' : 'decoder-lost'), null, 0));
  }

  private async analyse(p: Picture<FrameMeta>): Promise<void> {
    const wall = p.meta.wallMs;
    const size = analysisSize(p.width, p.height);
    if (!this.detector || this.detector.width !== size.width || this.detector.height !== size.height) {
      this.detector = new MotionDetector(size.width, size.height, this.settings.detector);
    }
    let actions: TrackerAction[] = [];
    if (p.damaged) {
      this.stats.damaged++; // concealed garbage would look like motion
    } else {
      const a = this.detector.analyse(toGrayGrid(p.rgb, p.width, p.height, size.width, size.height), wall);
      actions = this.tracker.feed({ atMs: wall, score: a.score, level: a.level, zones: a.zones });
      if (a.reseeded === 'global-change') this.log.debug({ camera: this.cameraId, gain: a.gain }, 'global light change: background re-seeded');
    }
    const thumb = p.meta.keyframe && wall - this.lastThumbMs >= this.defaults.thumbnailIntervalMs;
    const snap = actions.some((x) => x.type === 'start' || (x.type === 'peak' && x.atMs === wall));
    let jpeg: Buffer | null = null;
    if (thumb || snap) {
      try {
        jpeg = await encodeJpeg(p.rgb, p.width, p.height, this.defaults.jpegQuality);
      } catch (err) {
        this.log.warn({ camera: this.cameraId, err }, 'JPEG encoding failed');
      }
    }
    if (thumb && jpeg) {
      this.lastThumbMs = wall;
      this.stores.thumbnails.add({ cameraId: this.cameraId, atMs: wall, width: p.width, height: p.height, jpeg });
    }
    this.apply(actions, jpeg, wall);
  }

  private apply(actions: TrackerAction[], jpeg: Buffer | null, pictureMs: number): void {
    const { events, bus } = this.stores;
    for (const a of actions) {
      if (a.type === 'start') {
        const id = events.start({ cameraId: this.cameraId, startMs: a.atMs, score: a.score, zones: a.zones, snapshot: jpeg });
        this.eventId = id;
        this.log.info({ camera: this.cameraId, eventId: id, score: a.score, zones: a.zones }, 'motion started');
        bus.publish({ phase: 'start', event: events.get(id)!, snapshot: jpeg });
      } else if (a.type === 'peak' && this.eventId !== null) {
        events.updatePeak(this.eventId, a.score, a.atMs, a.zones, a.atMs === pictureMs ? jpeg : null);
      } else if (a.type === 'end' && this.eventId !== null) {
        const id = this.eventId;
        this.eventId = null;
        events.finish(id, a.endMs, a.reason, a.zones);
        const row = events.get(id)!;
        this.log.info({ camera: this.cameraId, eventId: id, reason: a.reason, seconds: (row.endMs! - row.startMs) / 1000 }, 'motion ended');
        bus.publish({ phase: 'end', event: row, snapshot: events.snapshot(id) });
      }
    }
  }

  private enqueue(task: () => unknown): void {
    this.chain = this.chain.then(task).then(
      () => undefined,
      (err: unknown) => this.log.error({ camera: this.cameraId, err }, 'motion pipeline step failed'),
    );
  }

  private setState(state: MotionState, message?: string): void {
    if (state === this.state && message === this.message) return;
    this.state = state;
    this.message = message;
  }
}

function lastError(lines: readonly string[]): string {
  const last = lines.at(-1);
  return last ? `: ${last.replace(/^\[[^\]]*@[^\]]*\]\s*/, '').replace(/^\[(error|fatal|panic)\]\s*/, '')}` : '';
}
