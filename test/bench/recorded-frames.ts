/**
 * What a server recorded for each camera: bytes on disk and the audio/video
 * frames in its FLV files (tags that are not sequence headers or script data),
 * counted with the project's FLV scanner reading the files in 1 MiB pieces.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FlvScanner } from '../../src/flv/flv-scanner.js';
import { filesUnder, type BenchServer } from './rtmp-servers.js';

export interface Recorded {
  files: number;
  bytes: number;
  frames: number;
  /** files with damage or a torn tail, as the scanner reports */
  damaged: number;
}

export function recordedByCamera(server: BenchServer): Map<string, Recorded> {
  const out = new Map<string, Recorded>();
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const rel of filesUnder(server.recordRoot)) {
    if (!rel.endsWith('.flv')) continue;
    const cam = server.cameraOf(rel);
    if (!cam) continue;
    const r = out.get(cam) ?? { files: 0, bytes: 0, frames: 0, damaged: 0 };
    out.set(cam, r);
    const path = join(server.recordRoot, rel);
    r.files++;
    const size = statSync(path).size;
    r.bytes += size;
    const scanner = new FlvScanner();
    const fd = openSync(path, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
        // the scanner reads headers as they come and keeps no reference to the chunk
        for (const t of scanner.push(buf.subarray(0, n))) if (t.type !== 'script' && !t.isSequenceHeader) r.frames++;
      }
    } finally {
      closeSync(fd);
    }
    if (scanner.error !== undefined || scanner.validEnd < size) r.damaged++;
  }
  return out;
}
