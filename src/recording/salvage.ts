import { truncate, unlink } from 'node:fs/promises';
import type { SegmentFormat, SegmentProgress } from '../storage/segments.js';
import { encodeKeyframes } from './keyframe-index.js';
import { scanFlvFile, toKeyframeEntries, type RecoveredFile } from './recover-flv.js';
import { scanMp4File } from './recover-mp4.js';

const scanners: Record<SegmentFormat, (path: string) => Promise<RecoveredFile>> = { flv: scanFlvFile, mp4: scanMp4File };

/**
 * A segment whose write failed (disk full, I/O error) is finalised from what
 * its file holds, as recovery does after a crash: a failed writev may have
 * put part of a tag or fragment on disk that the recorder cannot know about,
 * so the file is scanned, cut back to its last whole frame or fragment and
 * indexed as that. Null: not one whole frame made it; the file is removed.
 * Throws when the file cannot be read back (the caller keeps its own count).
 */
export async function salvageSegment(path: string, format: SegmentFormat, startMs: number): Promise<SegmentProgress | null> {
  const scan = await scanners[format](path);
  if (scan.frames === 0) {
    await unlink(path);
    return null;
  }
  // shrinking a file needs no free space
  if (scan.fileSize > scan.validEnd) await truncate(path, scan.validEnd);
  return {
    endMs: startMs + scan.durationMs,
    bytes: scan.validEnd,
    frames: scan.frames,
    keyframes: encodeKeyframes(startMs, toKeyframeEntries(startMs, scan.seek)),
  };
}
