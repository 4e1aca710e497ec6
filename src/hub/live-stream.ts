import type { Logger } from 'pino';
import type { AudioInfo, CodecConfig, MediaFrame, StreamMetadata, VideoInfo } from '../media/frame.js';
import { GopCache } from './gop-cache.js';
import type { StreamConsumer } from './stream-consumer.js';
import { StreamStats } from './stream-stats.js';

/** A 4K keyframe plus a few seconds of GOP fit; a longer GOP is not cached (viewers wait for the next keyframe). */
const DEFAULT_GOP_CACHE_BYTES = 16 * 1024 * 1024;

/** The publishing side as the hub sees it: the RTMP connection implements it. */
export interface Publisher {
  readonly id: number;
  /** peer address, for logs */
  readonly peer: string;
  /** when it last sent anything (ms, the hub's clock) */
  lastActivity(): number;
  /** close the publisher's connection (replaced, or shutting down) */
  close(reason: string): void;
}

/**
 * One camera's live stream: the current publisher, its codec configuration and
 * metadata, and the consumers. Frames fan out synchronously; a consumer that
 * throws is detached and logged, the others never notice.
 */
export class LiveStream {
  publisher: Publisher | null = null;
  video: CodecConfig | null = null;
  audio: CodecConfig | null = null;
  metadata: StreamMetadata | null = null;
  readonly stats: StreamStats;
  /** the current GOP, replayed to viewers that attach with `fromKeyframe` */
  readonly gop: GopCache;
  private readonly consumers = new Set<StreamConsumer>();

  constructor(
    readonly cameraId: string,
    private readonly log: Logger,
    now: () => number,
    gopCacheBytes = DEFAULT_GOP_CACHE_BYTES,
  ) {
    this.stats = new StreamStats(now);
    this.gop = new GopCache(gopCacheBytes);
  }

  get live(): boolean {
    return this.publisher !== null;
  }

  /**
   * Attaches a consumer; it first receives the current configuration and
   * metadata, and with `fromKeyframe` the frames since the latest keyframe, so
   * a viewer's picture starts at once; with `joinLive`, onPublishStart first
   * when a publisher is on. Returns detach.
   */
  attach(consumer: StreamConsumer, opts: { fromKeyframe?: boolean; joinLive?: boolean } = {}): () => void {
    this.consumers.add(consumer);
    // a consumer started while the camera publishes (a setting changed at runtime) hears the start it missed
    if (opts.joinLive && this.live) this.call(consumer, (c) => c.onPublishStart?.());
    if (this.video) this.call(consumer, (c) => c.onConfig?.(this.video!));
    if (this.audio) this.call(consumer, (c) => c.onConfig?.(this.audio!));
    if (this.metadata) this.call(consumer, (c) => c.onMetadata?.(this.metadata!));
    if (opts.fromKeyframe && this.live) for (const f of this.gop.snapshot()) this.call(consumer, (c) => c.onFrame(f));
    return () => this.consumers.delete(consumer);
  }

  consumerCount(kind?: StreamConsumer['kind']): number {
    if (!kind) return this.consumers.size;
    let n = 0;
    for (const c of this.consumers) if (c.kind === kind) n++;
    return n;
  }

  startPublishing(publisher: Publisher): void {
    this.publisher = publisher;
    this.video = this.audio = this.metadata = null;
    this.stats.reset();
    this.gop.reset();
    this.fanOut((c) => c.onPublishStart?.());
  }

  endPublishing(reason: string): void {
    this.publisher = null;
    this.fanOut((c) => c.onPublishEnd?.(reason));
  }

  /** The camera was removed: every consumer hears it and is detached. */
  close(reason: string): void {
    const consumers = [...this.consumers];
    this.consumers.clear();
    for (const c of consumers) this.call(c, (x) => x.onStreamClosed?.(reason));
    this.gop.reset();
  }

  pushConfig(config: CodecConfig): void {
    if (config.track === 'video') this.video = config;
    else this.audio = config;
    this.fanOut((c) => c.onConfig?.(config));
  }

  pushMetadata(metadata: StreamMetadata): void {
    this.metadata = metadata;
    this.fanOut((c) => c.onMetadata?.(metadata));
  }

  pushFrame(frame: MediaFrame): void {
    this.stats.add(frame);
    this.gop.push(frame);
    // inlined rather than through call(): no closure per consumer per frame
    for (const c of this.consumers) {
      try {
        c.onFrame(frame);
      } catch (err) {
        this.detachFailed(c, err);
      }
    }
  }

  videoInfo(): VideoInfo | null {
    return this.video?.track === 'video' ? this.video.info : null;
  }

  audioInfo(): AudioInfo | null {
    return this.audio?.track === 'audio' ? this.audio.info : null;
  }

  private fanOut(fn: (c: StreamConsumer) => void): void {
    for (const c of this.consumers) this.call(c, fn);
  }

  private call(c: StreamConsumer, fn: (c: StreamConsumer) => void): void {
    try {
      fn(c);
    } catch (err) {
      this.detachFailed(c, err);
    }
  }

  private detachFailed(c: StreamConsumer, err: unknown): void {
    this.consumers.delete(c);
    this.log.error({ err, camera: this.cameraId, consumer: c.kind }, 'stream consumer failed and was detached');
  }
}
