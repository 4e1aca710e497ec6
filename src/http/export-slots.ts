import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from './errors.js';

/** Seconds a refused export client is told to wait: exports of an hour take seconds to minutes. */
const RETRY_AFTER_SECONDS = 30;

/**
 * Exports read gigabytes from disk and remux them: a few at once keep the
 * disk free for recording. Slots are counted globally and per client
 * address; a slot is held until the response has ended or the client left.
 */
export class ExportSlots {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerClient: number,
  ) {}

  get running(): number {
    return this.total;
  }

  /** A slot for `client`, with its release (idempotent); throws 503/429 TOO_MANY_EXPORTS with retryAfter set. */
  acquire(client: string, log: Pick<FastifyBaseLogger, 'warn'>): () => void {
    const mine = this.perClient.get(client) ?? 0;
    const refuse = (status: 429 | 503, limit: string, message: string): never => {
      log.warn({ client, limit, running: this.total, mine }, `export refused: ${limit} reached`);
      throw new ExportRefused(status, message);
    };
    if (this.total >= this.max) refuse(503, 'maxExports', `${this.total} exports are running, the most at once (http.limits.maxExports); retry later`);
    if (mine >= this.maxPerClient) {
      refuse(429, 'maxExportsPerClient', `${mine} exports of yours are running, the most per client (http.limits.maxExportsPerClient); wait for one to finish`);
    }
    this.total++;
    this.perClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n > 0) this.perClient.set(client, n);
      else this.perClient.delete(client);
    };
  }
}

export class ExportRefused extends HttpError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;
  constructor(status: 429 | 503, message: string) {
    super(status, 'TOO_MANY_EXPORTS', message);
  }
}
