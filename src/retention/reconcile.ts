import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Logger } from 'pino';
import { CAMERA_ID_PATTERN } from '../config/schema.js';
import { parseSegmentName, RECORDINGS_DIR } from '../recording/segment-path.js';
import type { Segments } from '../storage/segments.js';
import type { Purger } from './purger.js';
import { DAY_MS } from './rules.js';
import { finalizeStale } from './stale-open.js';
import { turn } from './turn.js';

export interface ReconcileReport {
  /** rows whose file was gone (or flagged missing), removed */
  missingRows: number;
  /** segment files with no row, deleted */
  orphanFiles: number;
  /** rows left open that no recorder writes, finalised */
  staleOpen: number;
}

export interface ReconcileOptions {
  dataDir: string;
  segments: Segments;
  purger: Purger;
  log: Logger;
  /** the retention clock: folders of days before yesterday may be removed when empty */
  now: number;
  /**
   * A file with no row is left alone this long after its last write (its row
   * may be on the way); a row still open whose file has not been written for
   * this long is no recorder's (they write at least every second).
   */
  orphanGraceMs: number;
  shouldStop: () => boolean;
}

const DAY_NAME = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Makes the index and the files agree, one camera-day folder at a time:
 * rows whose file is gone are removed (so the index never points at a
 * missing file for longer than one pass), files no row knows are deleted,
 * empty old day folders go. Rows are read before the folder is listed, so a
 * row's file (created before its row) is always in the listing.
 */
export async function reconcile(opts: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { missingRows: 0, orphanFiles: 0, staleOpen: 0 };
  const root = join(opts.dataDir, RECORDINGS_DIR);
  const cameras = new Set(opts.segments.cameraIds());
  for (const name of await listDir(root)) if (CAMERA_ID_PATTERN.test(name)) cameras.add(name);
  for (const cameraId of [...cameras].sort()) {
    for (const day of await cameraDays(opts, root, cameraId)) {
      if (opts.shouldStop()) return report;
      await reconcileDay(opts, cameraId, day, report);
      await turn();
    }
  }
  return report;
}

/** Day folders on disk, and every day from the camera's first row to its last. */
async function cameraDays(opts: ReconcileOptions, root: string, cameraId: string): Promise<string[]> {
  const days = new Set((await listDir(join(root, cameraId))).filter((d) => DAY_NAME.test(d)));
  const bounds = opts.segments.startBounds(cameraId);
  if (bounds) for (let t = startOfDay(bounds.firstMs); t <= bounds.lastMs; t += DAY_MS) days.add(dayName(t));
  return [...days].sort();
}

async function reconcileDay(opts: ReconcileOptions, cameraId: string, day: string, report: ReconcileReport): Promise<void> {
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const folder = posix.join(RECORDINGS_DIR, cameraId, day);
  const rows = opts.segments.startingIn(cameraId, dayStart, dayStart + DAY_MS);
  const files = new Set(await listDir(join(opts.dataDir, folder)));
  const listed = files.size;
  const missing: number[] = [];
  const open: number[] = [];
  for (const [id, path, state] of rows) {
    const inFolder = posix.dirname(path) === folder;
    const present = inFolder ? files.delete(posix.basename(path)) : await exists(join(opts.dataDir, path));
    // a row being written is the recorder's; start-up recovery settles it after a crash
    if (state === 'missing' || (!present && state === 'closed')) missing.push(id);
    else if (present && state === 'open') open.push(id);
  }
  for (const id of open) if (await settleStale(opts, id)) report.staleOpen++;
  if (missing.length > 0) {
    opts.purger.removeRows(missing);
    report.missingRows += missing.length;
    opts.log.warn({ camera: cameraId, day, rows: missing.length }, 'removed index rows whose files are gone');
  }
  let removed = 0;
  for (const name of files) {
    if (!parseSegmentName(name)) continue; // not ours: left alone
    const rel = posix.join(folder, name);
    const file = join(opts.dataDir, rel);
    const st = await lstat(file).catch(() => null);
    // real clock: mtimes are real time even when retention runs on an injected one
    if (!st?.isFile() || Date.now() - st.mtimeMs < opts.orphanGraceMs || opts.segments.getByPath(rel)) continue;
    try {
      await unlink(file);
      removed++;
      opts.log.warn({ path: rel }, 'deleted a segment file the index did not know');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') opts.log.error({ err, path: rel }, 'could not delete an orphan segment file');
    }
  }
  report.orphanFiles += removed;
  // the recorder only writes today's folder: one from before yesterday that is now empty can go
  const matched = listed - files.size;
  const old = dayStart < Math.min(opts.now, Date.now()) - 2 * DAY_MS;
  if (old && matched === 0 && files.size === removed) await rmdir(join(opts.dataDir, folder)).catch(() => {});
}

/** An open row whose file nobody has written for the grace period: finalised from the file. */
async function settleStale(opts: ReconcileOptions, id: number): Promise<boolean> {
  const row = opts.segments.get(id);
  if (!row || row.state !== 'open') return false;
  const st = await lstat(join(opts.dataDir, row.path)).catch(() => null);
  if (!st || Date.now() - st.mtimeMs < opts.orphanGraceMs) return false;
  try {
    const kept = await finalizeStale(opts.dataDir, opts.segments, row);
    opts.log.warn({ segment: id, path: row.path, kept }, 'finalised a segment row left open (its close was never committed)');
    return true;
  } catch (err) {
    opts.log.error({ err, segment: id, path: row.path }, 'could not finalise a segment row left open');
    return false;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

function startOfDay(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

function dayName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
