/**
 * Benchmark media, made once with ffmpeg and cached (not committed):
 * 60 s of 1080p25 H.264 at about 4 Mbit/s with AAC, 2 s GOP, as FLV.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { demuxFlvFile } from '../media/flv-file.js';

export const CACHE = fileURLToPath(new URL('./.cache/', import.meta.url));

export function benchClip(): string {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, 'clip-1080p-4mbit-60s.flv');
  if (!existsSync(file)) {
    process.stderr.write('making the benchmark clip (once, cached in test/bench/.cache)...\n');
    execFileSync('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '8M', '-g', '50', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', `${file}.tmp`,
    ]);
    execFileSync('mv', [`${file}.tmp`, file]);
  }
  return file;
}

export interface Clip {
  configs: CodecConfig[];
  frames: MediaFrame[];
  mediaBytes: number;
  durationMs: number;
}

/** The clip as our frames, in arrival order. */
export function loadClip(file = benchClip()): Clip {
  const { configs, frames } = demuxFlvFile(readFileSync(file));
  const mediaBytes = frames.reduce((n, f) => n + f.payload.length, 0);
  return { configs, frames, mediaBytes, durationMs: frames[frames.length - 1].dts - frames[0].dts };
}
