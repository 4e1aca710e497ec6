import type { CodecConfig, MediaFrame, StreamMetadata } from '../media/frame.js';
import type { ConsumerKind, StreamConsumer } from './stream-consumer.js';

export type QueueItem =
  /** `at`: when the hub delivered the frame (ms), the arrival time the recorder needs */
  | { type: 'frame'; frame: MediaFrame; at: number }
  /** a periodic marker from the owner (flush, sync), kept in order with the frames */
  | { type: 'tick'; at: number }
  | { type: 'config'; config: CodecConfig }
  | { type: 'metadata'; metadata: StreamMetadata }
  | { type: 'start' }
  | { type: 'end'; reason: string };

/** Where queued items go; may take its time (disk, a decoder, a socket). */
export type QueueSink = (item: QueueItem) => void | Promise<void>;

export interface QueuedConsumerOptions {
  kind: ConsumerKind;
  /** frame bytes allowed to wait; beyond this the queue skips to the next keyframe */
  maxQueuedBytes: number;
  onDrop?: (frames: number) => void;
  /** a sink failure; the item is lost, the queue goes on */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/**
 * A consumer for I/O-bound work: the hub's synchronous calls only enqueue, and
 * one async loop feeds the sink in order. When the sink falls behind by more
 * than maxQueuedBytes, queued frames are dropped and delivery resumes at the
 * next video keyframe, so memory stays bounded and the publisher never waits.
 * Configs, metadata and start/end markers are never dropped.
 */
export class QueuedConsumer implements StreamConsumer {
  readonly kind: ConsumerKind;
  private queue: QueueItem[] = [];
  private queuedBytes = 0;
  private draining = false;
  private readonly now: () => number;
  private skipToKeyframe = false;
  dropped = 0;

  constructor(
    private readonly sink: QueueSink,
    private readonly opts: QueuedConsumerOptions,
  ) {
    this.kind = opts.kind;
    this.now = opts.now ?? Date.now;
  }

  /** Queues a tick marker (not a frame: never dropped, but skipped while one is already waiting). */
  tick(): void {
    if (this.queue.some((i) => i.type === 'tick')) return;
    this.enqueue({ type: 'tick', at: this.now() });
  }

  /** Resolves when everything queued so far has been handled. */
  async idle(): Promise<void> {
    while (this.draining) await new Promise((r) => setTimeout(r, 5));
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  onConfig(config: CodecConfig): void {
    this.enqueue({ type: 'config', config });
  }

  onMetadata(metadata: StreamMetadata): void {
    this.enqueue({ type: 'metadata', metadata });
  }

  onPublishStart(): void {
    this.enqueue({ type: 'start' });
  }

  onPublishEnd(reason: string): void {
    this.enqueue({ type: 'end', reason });
  }

  onFrame(frame: MediaFrame): void {
    if (this.skipToKeyframe) {
      if (frame.track !== 'video' || !frame.keyframe) return this.drop(1);
      this.skipToKeyframe = false;
    }
    if (this.queuedBytes > 0 && this.queuedBytes + frame.payload.length > this.opts.maxQueuedBytes) {
      this.dropQueuedFrames();
      if (frame.track !== 'video' || !frame.keyframe) {
        this.skipToKeyframe = true;
        return this.drop(1);
      }
    }
    this.queuedBytes += frame.payload.length;
    this.enqueue({ type: 'frame', frame, at: this.now() });
  }

  private enqueue(item: QueueItem): void {
    this.queue.push(item);
    if (!this.draining) void this.drain();
  }

  private dropQueuedFrames(): void {
    const kept = this.queue.filter((i) => i.type !== 'frame');
    this.drop(this.queue.length - kept.length);
    this.queue = kept;
    this.queuedBytes = 0;
  }

  private drop(n: number): void {
    if (n <= 0) return;
    this.dropped += n;
    this.opts.onDrop?.(n);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const item = this.queue.shift()!;
        if (item.type === 'frame') this.queuedBytes -= item.frame.payload.length;
        try {
          // a sink that had nothing to wait for (most frames) costs no promise and no microtask turn
          const pending = this.sink(item);
          if (pending) await pending;
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
