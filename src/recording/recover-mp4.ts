import { open, type FileHandle } from 'node:fs/promises';
import { Mp4FragmentScanner, readBoxHeader, readFragmentSamples, type InitTrack, type ScannedFragment } from '../mp4/mp4-reader.js';
import type { RecoveredFile } from './recover-flv.js';

const READ_BYTES = 1 << 20;

/**
 * Finds the whole moof+mdat pairs of an fMP4 segment (reading it in 1 MiB
 * pieces), then reads each moof again for its samples: frame count, duration,
 * and every video keyframe as a seek point (fragment offset).
 */
export async function scanMp4File(path: string): Promise<RecoveredFile> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const scanner = new Mp4FragmentScanner();
    const fragments: ScannedFragment[] = [];
    for (let pos = 0; pos < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      for (const f of scanner.push(buf.subarray(0, bytesRead))) fragments.push(f); // a damaged file may hold many tiny fragments: no spread
      pos += bytesRead;
    }
    const tracks = scanner.init?.tracks ?? [];
    const result: RecoveredFile = { validEnd: scanner.validEnd, fileSize: size, frames: 0, durationMs: 0, seek: [] };
    const hasVideo = tracks.some((t) => t.handler === 'vide');
    for (const frag of fragments) {
      for (const track of await fragmentSamples(fh, frag, tracks)) {
        for (const s of track.samples) {
          result.frames++;
          result.durationMs = Math.max(result.durationMs, s.dts + s.duration);
          if (hasVideo && track.handler === 'vide' && s.keyframe) result.seek.push({ relMs: s.dts, offset: frag.offset });
        }
      }
      if (!hasVideo) result.seek.push({ relMs: frag.firstDts, offset: frag.offset });
    }
    return result;
  } finally {
    await fh.close();
  }
}

async function fragmentSamples(fh: FileHandle, frag: ScannedFragment, tracks: InitTrack[]) {
  const head = Buffer.allocUnsafe(16);
  await fh.read(head, 0, 16, frag.offset);
  const h = readBoxHeader(head, 0, 16);
  if (!h) return [];
  const moof = Buffer.allocUnsafe(h.end - h.start);
  await fh.read(moof, 0, moof.length, frag.offset);
  return readFragmentSamples(moof, frag.offset + moof.length, tracks);
}
