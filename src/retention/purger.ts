import { unlink } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import type { Segments } from '../storage/segments.js';
import type { PlanRow } from './planner.js';
import { turn } from './turn.js';

/** Rows per batch: one short SQLite transaction, then a turn for ingest. */
export const BATCH_ROWS = 200;
/**
 * Unlinks in flight at once. They run on libuv's thread pool (4 threads),
 * which the recorders' writes share: two leave room for those.
 */
const UNLINK_CONCURRENCY = 2;

export interface PurgeResult {
  deleted: number;
  freedBytes: number;
}

/**
 * Deletes segments, file first and then its row: a crash in between leaves a
 * row without its file, which the next pass's index check removes, and a
 * full disk can always free space (the row delete needs room in the WAL, the
 * unlink does not). A file that will not go keeps its row.
 */
export class Purger {
  private readonly root: string;
  /** rows whose files are gone but whose delete failed (SQLITE_FULL, busy): retried first */
  private pendingRows: number[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly segments: Segments,
    private readonly log: Logger,
  ) {
    this.root = resolve(dataDir);
  }

  /** Deletes these rows and their files in batches, yielding to the event loop between them. */
  async purge(rows: readonly PlanRow[], shouldStop: () => boolean = () => false): Promise<PurgeResult> {
    const total: PurgeResult = { deleted: 0, freedBytes: 0 };
    for (let i = 0; i < rows.length && !shouldStop(); i += BATCH_ROWS) {
      const r = await this.batch(rows.slice(i, i + BATCH_ROWS));
      total.deleted += r.deleted;
      total.freedBytes += r.freedBytes;
      await turn();
    }
    return total;
  }

  /** Rows whose files are already gone (the index check): deleted in one transaction. */
  removeRows(ids: readonly number[]): void {
    this.commit([...ids]);
  }

  private async batch(rows: readonly PlanRow[]): Promise<PurgeResult> {
    const gone: number[] = [];
    let freedBytes = 0;
    const queue = [...rows];
    const worker = async (): Promise<void> => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        if (await this.unlinkFile(row)) {
          gone.push(row.id);
          freedBytes += row.bytes;
        }
      }
    };
    await Promise.all(Array.from({ length: UNLINK_CONCURRENCY }, worker));
    this.commit(gone);
    return { deleted: gone.length, freedBytes };
  }

  /** True when the file is gone (or was already). */
  private async unlinkFile(row: PlanRow): Promise<boolean> {
    const rel = this.segments.pathOf(row.id);
    if (rel === undefined) return false; // deleted meanwhile
    const file = resolve(this.root, rel);
    const back = relative(this.root, file);
    if (back === '' || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
      // a row pointing outside dataDir is corruption or tampering: never delete there
      this.log.error({ segment: row.id, path: rel }, 'segment path escapes dataDir; not deleted');
      return false;
    }
    try {
      await unlink(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      this.log.error({ err, segment: row.id, path: rel }, 'could not delete a segment file; its row stays');
      return false;
    }
  }

  private commit(ids: number[]): void {
    const all = this.pendingRows.length > 0 ? [...this.pendingRows, ...ids] : ids;
    if (all.length === 0) return;
    try {
      this.segments.removeMany(all);
      this.pendingRows = [];
    } catch (err) {
      // the files are gone; the rows go on the next try (they are never served as files meanwhile: ENOENT marks them missing)
      this.pendingRows = all;
      this.log.error({ err, rows: all.length }, 'could not delete segment rows; will retry');
    }
  }
}
