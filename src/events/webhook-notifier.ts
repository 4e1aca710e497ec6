/**
 * Webhooks: a POST of the event JSON (plus "phase") to each configured URL
 * when an event starts and ends. Each webhook has its own queue, delivered in
 * order, one request at a time, with a time limit per attempt and retries
 * with exponential backoff; a full queue drops its oldest delivery. Nothing
 * here is awaited by the motion pipeline, let alone by ingest.
 */
import type { Logger } from 'pino';
import type { EventBus, EventNotice } from './event-bus.js';
import { eventJson } from './event-json.js';

export interface WebhookConfig {
  url: string;
  /** camera ids; empty: all */
  cameras: string[];
  phases: ('start' | 'end')[];
  headers: Record<string, string>;
  timeoutMs: number;
  retries: number;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
}

/** Deliveries one webhook may have waiting; beyond this the oldest is dropped. */
const MAX_QUEUE = 200;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

export class WebhookNotifier {
  private readonly queue: string[] = [];
  private busy = false;
  private stopped = false;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private current: AbortController | null = null;
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly cfg: WebhookConfig,
    private readonly log: Logger,
    private readonly retryBaseMs = FIRST_RETRY_MS,
  ) {}

  /** Subscribes to the bus; returns unsubscribe. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((n) => this.notify(n));
  }

  notify(n: EventNotice): void {
    if (this.stopped || !this.cfg.phases.includes(n.phase)) return;
    if (this.cfg.cameras.length > 0 && !this.cfg.cameras.includes(n.event.cameraId)) return;
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.stats.dropped++;
      this.log.warn({ url: this.cfg.url }, 'webhook queue full: oldest delivery dropped');
    }
    this.queue.push(JSON.stringify({ ...eventJson(n.event), phase: n.phase }));
    if (!this.busy) void this.drain();
  }

  /** Resolves when the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
  }

  /** Stops delivering: waits up to graceMs for the queue, then abandons the rest. */
  async stop(graceMs = 2000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.busy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.stopped = true;
    this.queue.length = 0;
    this.current?.abort();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    await this.idle();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const body = this.queue[0];
        await this.deliver(body);
        this.queue.shift();
      }
    } finally {
      this.busy = false;
    }
  }

  private async deliver(body: string): Promise<void> {
    let delay = this.retryBaseMs;
    for (let attempt = 0; attempt <= this.cfg.retries && !this.stopped; attempt++) {
      if (attempt > 0) {
        await this.sleep(delay);
        delay = Math.min(MAX_RETRY_MS, delay * 2);
        if (this.stopped) return;
      }
      const why = await this.post(body);
      if (why === null) {
        this.stats.delivered++;
        return;
      }
      this.log.warn({ url: this.cfg.url, attempt: attempt + 1, of: this.cfg.retries + 1, why }, 'webhook delivery failed');
    }
    this.stats.failed++;
  }

  /** One attempt; null on a 2xx answer, else why not. */
  private async post(body: string): Promise<string | null> {
    const ac = new AbortController();
    this.current = ac;
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${this.cfg.timeoutMs} ms`)), this.cfg.timeoutMs);
    try {
      const res = await fetch(this.cfg.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lan-nvr', ...this.cfg.headers },
        body,
        signal: ac.signal,
        redirect: 'error',
      });
      // the answer's body is not ours to read; release the connection
      await res.body?.cancel().catch(() => {});
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: Error };
      return ac.signal.aborted && ac.signal.reason instanceof Error ? ac.signal.reason.message : (e.cause?.message ?? e.message);
    } finally {
      clearTimeout(timer);
      this.current = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = null;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = { timer, resolve };
    });
  }
}
