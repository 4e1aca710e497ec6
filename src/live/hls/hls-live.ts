/**
 * HLS for every camera: packagers made on the first playlist request and
 * stopped after a while without requests, so cameras nobody watches cost
 * nothing; and who is watching (distinct client addresses per camera).
 */
import type { BaseLogger } from 'pino';
import type { StreamHub } from '../../hub/stream-hub.js';
import { HlsPackager } from './hls-packager.js';
import { DEFAULT_HLS_SETTINGS, type HlsNumbering, type HlsSettings } from './hls-settings.js';

export interface HlsLiveOptions {
  hub: StreamHub;
  /** fastify's or pino's */
  log: Pick<BaseLogger, 'debug' | 'warn'>;
  now?: () => number;
  settings?: Partial<HlsSettings>;
  /** a packager nobody asked anything of for this long is stopped, ms */
  idleMs?: number;
  /** a client counts as a viewer this long after its last playlist request, ms */
  viewerWindowMs?: number;
}

export class HlsLive {
  readonly settings: HlsSettings;
  private readonly packagers = new Map<string, HlsPackager>();
  /** what stopped packagers handed out, so a restarted one never reuses a (cacheable) URI */
  private readonly numbering = new Map<string, HlsNumbering>();
  private readonly clients = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private readonly idleMs: number;
  private readonly viewerWindowMs: number;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly opts: HlsLiveOptions) {
    this.now = opts.now ?? Date.now;
    this.settings = { ...DEFAULT_HLS_SETTINGS, ...opts.settings };
    this.idleMs = opts.idleMs ?? 30_000;
    this.viewerWindowMs = opts.viewerWindowMs ?? 10_000;
  }

  /** The camera's packager, started if need be (null: the hub has no such camera). */
  packager(cameraId: string): HlsPackager | null {
    const existing = this.existing(cameraId);
    if (existing) return existing;
    const stream = this.opts.hub.stream(cameraId);
    if (!stream) return null;
    const p = new HlsPackager({
      cameraId,
      settings: this.settings,
      numbering: this.startNumbers(cameraId),
      log: this.opts.log,
      now: this.now,
    });
    this.packagers.set(cameraId, p);
    p.start(stream);
    this.opts.log.debug({ camera: cameraId }, 'HLS packager started');
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(5000, this.idleMs / 2)).unref();
    return p;
  }

  /** The running packager, if any; counts as a request (keeps it alive). */
  existing(cameraId: string): HlsPackager | undefined {
    const p = this.packagers.get(cameraId);
    if (p) p.lastRequestAt = this.now();
    return p;
  }

  /** A playlist request from `client` (its address). */
  noteViewer(cameraId: string, client: string): void {
    let m = this.clients.get(cameraId);
    if (!m) this.clients.set(cameraId, (m = new Map()));
    m.set(client, this.now());
  }

  /** Whether `client` counts as a viewer of the camera now (a new one is subject to the viewer cap). */
  watching(cameraId: string, client: string): boolean {
    const at = this.clients.get(cameraId)?.get(client);
    return at !== undefined && at >= this.now() - this.viewerWindowMs;
  }

  /** HLS viewers of a camera: distinct client addresses that fetched its playlist within the last ~10 s. */
  viewers(cameraId: string): number {
    const m = this.clients.get(cameraId);
    if (!m) return 0;
    const since = this.now() - this.viewerWindowMs;
    for (const [client, at] of m) if (at < since) m.delete(client);
    if (m.size === 0) this.clients.delete(cameraId);
    return m.size;
  }

  /** Stops packagers idle for idleMs (run by a timer; public for tests). */
  sweep(): void {
    const now = this.now();
    for (const [id, p] of this.packagers) {
      if (now - p.lastRequestAt < this.idleMs) continue;
      this.stopPackager(id, p);
      this.opts.log.debug({ camera: id }, 'HLS packager stopped: no requests');
    }
    for (const id of [...this.clients.keys()]) this.viewers(id);
    if (this.packagers.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** A camera was removed: its packager stops and its viewers are dropped (numbers are kept: one re-added under the id must not reuse URIs). */
  forget(cameraId: string): void {
    const p = this.packagers.get(cameraId);
    if (p) this.stopPackager(cameraId, p);
    this.clients.delete(cameraId);
  }

  get running(): string[] {
    return [...this.packagers.keys()];
  }

  stop(): void {
    for (const [id, p] of this.packagers) this.stopPackager(id, p);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private stopPackager(id: string, p: HlsPackager): void {
    this.numbering.set(id, p.numbering());
    p.stop();
    this.packagers.delete(id);
  }

  /**
   * Segments are cacheable, so a URI must never name different media. Numbers
   * continue from the camera's previous packager, and start from the clock
   * (about one segment a second, ten parts) so they also exceed those of an
   * earlier process whose segments a browser may still have cached.
   */
  private startNumbers(cameraId: string): HlsNumbering {
    const now = this.now();
    const prev = this.numbering.get(cameraId);
    return {
      msn: Math.max(Math.floor(now / 1000), prev?.msn ?? 0),
      partId: Math.max(Math.floor(now / 100), prev?.partId ?? 0),
      initId: Math.max(Math.floor(now / 1000), prev?.initId ?? 0),
    };
  }
}
