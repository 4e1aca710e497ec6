import { readdir, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PathEscapeError, resolveInside } from '../storage/safe-path.js';
import type { SegmentFormat, SegmentRow, Segments } from '../storage/segments.js';
import { encodeKeyframes } from './keyframe-index.js';
import { scanFlvFile, toKeyframeEntries, type RecoveredFile } from './recover-flv.js';
import { scanMp4File } from './recover-mp4.js';
import { parseSegmentName, RECORDINGS_DIR } from './segment-path.js';
import { syncDir } from './segment-file.js';

export interface RecoveryReport {
  /** open rows finalised from their files */
  recovered: number;
  /** files with no row, indexed */
  orphans: number;
  /** open rows whose file is gone, flagged */
  missing: number;
  /** open rows whose file held no frame, removed with the file */
  empty: number;
}

/** How many of the newest day folders per camera are searched for files with no row. */
const ORPHAN_DAYS = 2;

const scanners: Record<SegmentFormat, (path: string) => Promise<RecoveredFile>> = { flv: scanFlvFile, mp4: scanMp4File };

/**
 * Start-up, before any publisher is accepted: every segment left open by a
 * crash is cut back to its last whole frame or fragment and finalised from
 * what is in the file; files the index doesn't know are indexed.
 */
export async function recoverRecordings(opts: { dataDir: string; segments: Segments; log: Logger }): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: 0, orphans: 0, missing: 0, empty: 0 };
  for (const row of opts.segments.listOpen()) {
    const outcome = await recoverRow(opts, row);
    report[outcome]++;
  }
  report.orphans = await indexOrphans(opts);
  if (report.recovered + report.orphans + report.missing + report.empty > 0) opts.log.warn(report, 'recovered recordings after an unclean stop');
  return report;
}

async function recoverRow(opts: { dataDir: string; segments: Segments; log: Logger }, row: SegmentRow): Promise<Exclude<keyof RecoveryReport, 'orphans'>> {
  let file: string;
  let scan: RecoveredFile;
  try {
    file = resolveInside(opts.dataDir, row.path); // recovery truncates and unlinks: never outside dataDir
    scan = await scanners[row.format](file);
  } catch (err) {
    if (err instanceof PathEscapeError) opts.log.error({ segment: row.id, path: row.path }, 'segment path escapes dataDir; flagged, never opened');
    else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    opts.segments.markMissing(row.id);
    opts.log.warn({ segment: row.id, path: row.path }, 'segment file is missing; flagged, not served');
    return 'missing';
  }
  if (scan.frames === 0) {
    await unlink(file);
    opts.segments.remove(row.id);
    return 'empty';
  }
  if (scan.fileSize > scan.validEnd) {
    await truncate(file, scan.validEnd);
    opts.log.warn({ segment: row.id, path: row.path, cut: scan.fileSize - scan.validEnd }, 'cut a torn tail off a segment');
  }
  opts.segments.close(row.id, {
    endMs: row.startMs + scan.durationMs,
    bytes: scan.validEnd,
    frames: scan.frames,
    keyframes: encodeKeyframes(row.startMs, toKeyframeEntries(row.startMs, scan.seek)),
    reason: 'crash-recovered',
  });
  return 'recovered';
}

/** A crash between creating a file and inserting its row leaves a file the index doesn't know. */
async function indexOrphans(opts: { dataDir: string; segments: Segments; log: Logger }): Promise<number> {
  const root = join(opts.dataDir, RECORDINGS_DIR);
  let count = 0;
  for (const camera of await listDir(root)) {
    const days = (await listDir(join(root, camera))).sort().slice(-ORPHAN_DAYS);
    for (const day of days) {
      const dir = join(root, camera, day);
      for (const name of await listDir(dir)) {
        const parsed = parseSegmentName(name);
        const rel = `${RECORDINGS_DIR}/${camera}/${day}/${name}`;
        if (!parsed || opts.segments.getByPath(rel)) continue;
        const scan = await scanners[parsed.format](join(dir, name));
        if (scan.frames === 0) continue;
        if (scan.fileSize > scan.validEnd) await truncate(join(dir, name), scan.validEnd);
        const id = opts.segments.open({ cameraId: camera, startMs: parsed.startMs, format: parsed.format, path: rel, videoCodec: null, audioCodec: null, width: null, height: null });
        opts.segments.close(id, {
          endMs: parsed.startMs + scan.durationMs,
          bytes: scan.validEnd,
          frames: scan.frames,
          keyframes: encodeKeyframes(parsed.startMs, toKeyframeEntries(parsed.startMs, scan.seek)),
          reason: 'recovered-orphan',
        });
        opts.log.warn({ path: rel }, 'indexed a segment file that had no row');
        count++;
      }
      await syncDir(dir).catch(() => {});
    }
  }
  return count;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await stat(dir)).isDirectory() ? await readdir(dir) : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
