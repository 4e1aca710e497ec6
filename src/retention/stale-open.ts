import { truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeKeyframes } from '../recording/keyframe-index.js';
import { scanFlvFile, toKeyframeEntries, type RecoveredFile } from '../recording/recover-flv.js';
import { scanMp4File } from '../recording/recover-mp4.js';
import type { SegmentFormat, SegmentRow, Segments } from '../storage/segments.js';

const scanners: Record<SegmentFormat, (path: string) => Promise<RecoveredFile>> = { flv: scanFlvFile, mp4: scanMp4File };

/**
 * A row left 'open' that no recorder writes any more: its close could not be
 * committed (SQLite found the disk full). Finalised from its file as start-up
 * recovery would, so it stops looking like a growing segment before the next
 * restart. Returns false when the file held no frame (row and file removed).
 */
export async function finalizeStale(dataDir: string, segments: Segments, row: SegmentRow): Promise<boolean> {
  const file = join(dataDir, row.path);
  const scan = await scanners[row.format](file);
  if (scan.frames === 0) {
    await unlink(file).catch(() => {});
    segments.remove(row.id);
    return false;
  }
  if (scan.fileSize > scan.validEnd) await truncate(file, scan.validEnd);
  segments.close(row.id, {
    endMs: row.startMs + scan.durationMs,
    bytes: scan.validEnd,
    frames: scan.frames,
    keyframes: encodeKeyframes(row.startMs, toKeyframeEntries(row.startMs, scan.seek)),
    reason: 'stale-recovered',
  });
  return true;
}
