/**
 * Motion events as they start and end, to whoever listens in process: the
 * SSE endpoint, webhooks, MQTT. Listeners are called synchronously and must
 * only queue; one that throws is logged and the others still hear it.
 */
import type { Logger } from 'pino';
import type { EventRow } from './event-store.js';

export interface EventNotice {
  phase: 'start' | 'end';
  event: EventRow;
  /** the snapshot JPEG when there is one (MQTT publishes it; others use the URL) */
  snapshot: Buffer | null;
}

export type EventListener = (n: EventNotice) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly log: Logger) {}

  /** Returns unsubscribe. */
  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  publish(n: EventNotice): void {
    for (const fn of this.listeners) {
      try {
        fn(n);
      } catch (err) {
        this.log.error({ err, eventId: n.event.id }, 'event listener failed');
      }
    }
  }
}
