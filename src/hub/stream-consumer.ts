import type { CodecConfig, MediaFrame, StreamMetadata } from '../media/frame.js';

export type ConsumerKind = 'recorder' | 'motion' | 'viewer' | 'other';

/**
 * Something attached to a camera's live stream. Calls are synchronous and must
 * return quickly: a consumer that does I/O queues frames itself (see
 * frame-queue.ts), so one slow consumer never stalls the publisher or the others.
 */
export interface StreamConsumer {
  readonly kind: ConsumerKind;
  /** codec configuration: on attach (current ones) and whenever it changes */
  onConfig?(config: CodecConfig): void;
  onMetadata?(metadata: StreamMetadata): void;
  onFrame(frame: MediaFrame): void;
  /** a publisher started (the consumer may have been attached before it) */
  onPublishStart?(): void;
  /** the publisher went away; the consumer stays attached for the next one */
  onPublishEnd?(reason: string): void;
  /** the camera was removed: the consumer is detached and ends (a viewer closes its connection) */
  onStreamClosed?(reason: string): void;
}
