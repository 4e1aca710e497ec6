import type { Logger } from 'pino';
import type { SegmentOpen, SegmentProgress, Segments } from '../storage/segments.js';

/** A segment's row as the recorder knows it: `id` is null until the row could be inserted. */
export interface SegmentRef {
  id: number | null;
}

type Op =
  | { type: 'open'; ref: SegmentRef; row: SegmentOpen }
  | { type: 'progress'; ref: SegmentRef; p: SegmentProgress }
  | { type: 'close'; ref: SegmentRef; p: SegmentProgress & { reason: string } }
  | { type: 'remove'; ref: SegmentRef };

/** While writes wait, one attempt at most this often (each may block the event loop for busy_timeout). */
const RETRY_MS = 1000;

/**
 * Errors that say "not now" rather than "never": another connection holds the
 * lock (the sqlite3 shell, a backup script), or the database's disk is full or
 * failing. Anything else is a bug and is thrown.
 */
const RETRYABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR)/;

const writers = new WeakMap<Segments, IndexWriter>();

/**
 * The recorders' writes to the segments table. A write the database refuses
 * for now is kept, in order, and retried: footage goes on being written to
 * the segment files meanwhile, and the index catches up when the database is
 * back. Without this a locked database lost the segment being opened (its
 * file written, its row never) and the recorder's progress. One writer is
 * shared by all the recorders of a Segments table, so a locked database costs
 * one attempt a second in all, not one per camera.
 */
export class IndexWriter {
  private queue: Op[] = [];
  private nextAttemptAt = 0;
  private waitingSince: number | null = null;
  private deferred = 0;

  constructor(
    private readonly segments: Segments,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The writer shared by every recorder of this table. */
  static for(segments: Segments, log: Logger, now?: () => number): IndexWriter {
    let w = writers.get(segments);
    if (!w) writers.set(segments, (w = new IndexWriter(segments, log, now)));
    return w;
  }

  /** Writes waiting for the database. */
  get pending(): number {
    return this.queue.length;
  }

  open(row: SegmentOpen): SegmentRef {
    const ref: SegmentRef = { id: null };
    this.submit({ type: 'open', ref, row });
    return ref;
  }

  progress(ref: SegmentRef, p: SegmentProgress): void {
    // only the latest progress of a segment matters: a waiting one is replaced
    const i = this.queue.findIndex((op) => op.ref === ref && op.type === 'progress');
    if (i >= 0) this.queue[i] = { type: 'progress', ref, p };
    else this.submit({ type: 'progress', ref, p });
  }

  close(ref: SegmentRef, p: SegmentProgress & { reason: string }): void {
    this.queue = this.queue.filter((op) => !(op.ref === ref && op.type === 'progress'));
    this.submit({ type: 'close', ref, p });
  }

  /** A segment that holds no frame after all (its writes failed): its row goes. */
  remove(ref: SegmentRef): void {
    const unborn = this.queue.some((op) => op.ref === ref && op.type === 'open');
    this.queue = this.queue.filter((op) => op.ref !== ref);
    if (!unborn) this.submit({ type: 'remove', ref });
  }

  /** Periodic (the recorders' ticks): tries the waiting writes, at most once a RETRY_MS. */
  retry(): void {
    if (this.queue.length === 0 || this.now() < this.nextAttemptAt) return;
    while (this.queue.length > 0) {
      if (!this.attempt(this.queue[0])) return;
      this.queue.shift();
    }
    this.log.info({ waitedMs: this.now() - this.waitingSince!, writes: this.deferred }, 'index caught up after the database was busy');
    this.waitingSince = null;
    this.deferred = 0;
  }

  /**
   * Shutdown: one last try whatever the interval. What still cannot be written
   * is left to recovery at the next start (open rows are finalised from their
   * files, files without a row are indexed).
   */
  flush(): void {
    this.nextAttemptAt = 0;
    this.retry();
    if (this.queue.length > 0) this.log.error({ writes: this.queue.length }, 'index writes still waiting for the database at shutdown; the next start recovers them from the files');
  }

  private submit(op: Op): void {
    // behind waiting writes, in order: a close must never overtake its open
    if (this.queue.length > 0 || !this.attempt(op)) {
      this.queue.push(op);
      this.deferred++;
    }
  }

  /** Runs one write; false when the database said "not now". */
  private attempt(op: Op): boolean {
    try {
      if (op.type === 'open') op.ref.id = this.segments.open(op.row);
      else if (op.ref.id === null) return true; // its open was given up: nothing to update
      else if (op.type === 'progress') this.segments.progress([{ id: op.ref.id, ...op.p }]);
      else if (op.type === 'close') this.segments.close(op.ref.id, op.p);
      else this.segments.remove(op.ref.id);
      return true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !RETRYABLE.test(code)) throw err;
      this.nextAttemptAt = this.now() + RETRY_MS;
      if (this.waitingSince === null) {
        this.waitingSince = this.now();
        this.log.warn({ code, err: (err as Error).message }, 'database busy: index writes deferred, recording goes on');
      }
      return false;
    }
  }
}
