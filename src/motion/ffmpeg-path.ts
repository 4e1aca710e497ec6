/**
 * Which ffmpeg binary decodes keyframes. The npm package
 * @ffmpeg-installer/ffmpeg ships a static build for the platform, so a plain
 * `npm install` has one; motion.ffmpegPath points elsewhere (a newer build,
 * one with hardware decoding). Without either, "ffmpeg" from PATH.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

export interface FfmpegChoice {
  path: string;
  /** where it came from, for the log and the camera status */
  source: 'config' | '@ffmpeg-installer/ffmpeg' | 'PATH';
  /** why the packaged binary was not used, when it was not */
  note?: string;
}

export function chooseFfmpeg(configured: string | null | undefined): FfmpegChoice {
  if (configured) return { path: configured, source: 'config' };
  try {
    const require = createRequire(import.meta.url);
    // the package throws for a platform it has no binary for
    const pkg = require('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    if (typeof pkg.path === 'string') {
      accessSync(pkg.path, constants.X_OK);
      return { path: pkg.path, source: '@ffmpeg-installer/ffmpeg' };
    }
    return { path: 'ffmpeg', source: 'PATH', note: '@ffmpeg-installer/ffmpeg gave no path' };
  } catch (err) {
    return { path: 'ffmpeg', source: 'PATH', note: `@ffmpeg-installer/ffmpeg unusable: ${(err as Error).message.split('\n')[0]}` };
  }
}
