/**
 * Server-Sent Events for GET /api/events/live: every client gets
 * `event: motion` with the event JSON when an event starts and when it ends
 * (CONTRACT.md). A comment line every 15 s keeps proxies from timing the
 * stream out; a client that stops reading is dropped, never waited for.
 */
import type { ServerResponse } from 'node:http';
import type { EventBus, EventNotice } from './event-bus.js';
import { eventJson } from './event-json.js';

export interface SseClient {
  res: ServerResponse;
  /** only this camera's events, when set */
  cameraId?: string;
}

/** Unread bytes a client may have before it is dropped: thousands of events. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/** How soon a browser's EventSource reconnects after the stream drops. */
const RETRY_MS = 3000;

export class SseHub {
  private readonly clients = new Set<SseClient>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    bus: EventBus,
    readonly maxClients = 100,
  ) {
    this.unsubscribe = bus.subscribe((n) => this.broadcast(n));
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over an HTTP response (headers not yet sent) until the client goes away. */
  add(client: SseClient): void {
    const { res } = client;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx: pass events through as they come
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n: connected\n\n`);
    this.clients.add(client);
    const remove = (): void => {
      this.clients.delete(client);
    };
    res.on('close', remove);
    res.on('error', remove);
  }

  /** Ends every stream (shutdown): open streams would hold the server's close forever. */
  closeAll(): void {
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  stop(): void {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    this.closeAll();
  }

  private broadcast(n: EventNotice): void {
    const json = JSON.stringify({ ...eventJson(n.event), phase: n.phase });
    const message = `event: motion\nid: ${n.event.id}-${n.phase}\ndata: ${json}\n\n`;
    for (const c of this.clients) if (!c.cameraId || c.cameraId === n.event.cameraId) this.write(c, message);
  }

  private writeAll(text: string): void {
    for (const c of this.clients) this.write(c, text);
  }

  private write(c: SseClient, text: string): void {
    if (c.res.writableLength > MAX_BUFFERED_BYTES) {
      this.clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }
}
