import { open } from 'node:fs/promises';
import { FlvScanner, type FlvTagInfo } from '../flv/flv-scanner.js';
import type { KeyframeEntry } from './keyframe-index.js';

export interface RecoveredFile {
  /** bytes holding whole tags/fragments; the rest is a torn tail */
  validEnd: number;
  fileSize: number;
  frames: number;
  /** ms from the segment start to just after the last frame */
  durationMs: number;
  /** seek points, times relative to the segment start */
  seek: { relMs: number; offset: number }[];
}

const READ_BYTES = 1 << 20;
const AUDIO_SEEK_INTERVAL_MS = 1000;

/**
 * Reads an FLV segment from disk in 1 MiB pieces and finds what in it is whole:
 * the tags up to the first torn or inconsistent one, their frame count, the
 * duration and the keyframe seek points. Payloads are never held.
 */
export async function scanFlvFile(path: string): Promise<RecoveredFile> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const scanner = new FlvScanner();
    const tags: FlvTagInfo[] = [];
    for (let pos = 0; pos < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      for (const t of scanner.push(buf.subarray(0, bytesRead))) if (!t.isSequenceHeader && t.type !== 'script') tags.push(t);
      pos += bytesRead;
    }
    return summarize(tags, scanner.validEnd, size);
  } finally {
    await fh.close();
  }
}

function summarize(tags: FlvTagInfo[], validEnd: number, fileSize: number): RecoveredFile {
  const hasVideo = tags.some((t) => t.type === 'video');
  const seek: RecoveredFile['seek'] = [];
  let lastAudioSeek = -Infinity;
  let last = 0;
  const step = { video: 0, audio: 0 };
  const prev: { video: number | null; audio: number | null } = { video: null, audio: null };
  for (const t of tags) {
    if (t.type === 'script') continue;
    const p = prev[t.type];
    if (p !== null && t.timestamp > p) step[t.type] = t.timestamp - p;
    prev[t.type] = t.timestamp;
    last = Math.max(last, t.timestamp + step[t.type]);
    if (hasVideo ? t.type === 'video' && t.keyframe : t.timestamp - lastAudioSeek >= AUDIO_SEEK_INTERVAL_MS) {
      seek.push({ relMs: t.timestamp, offset: t.offset });
      if (!hasVideo) lastAudioSeek = t.timestamp;
    }
  }
  return { validEnd, fileSize, frames: tags.length, durationMs: last, seek };
}

export function toKeyframeEntries(startMs: number, seek: RecoveredFile['seek']): KeyframeEntry[] {
  return seek.map((s) => ({ timeMs: startMs + s.relMs, offset: s.offset }));
}
