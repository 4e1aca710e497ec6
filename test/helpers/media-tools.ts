/** Real ffmpeg / GStreamer publishers for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Run {
  proc: ChildProcess;
  stderr: () => string;
  /** resolves with the exit code (or null when killed) */
  exited: Promise<number | null>;
}

export function run(cmd: string, args: string[]): Run {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => {
    err = (err + d).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return { proc, stderr: () => err, exited };
}

/** ffmpeg publishing a synthetic H.264 + AAC stream in real time. */
export function ffmpegPublish(url: string, opts: { seconds?: number; size?: string; fps?: number; gop?: number; audio?: boolean } = {}): Run {
  const { seconds = 4, size = '640x360', fps = 25, gop = fps * 2, audio = true } = opts;
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gop), '-pix_fmt', 'yuv420p');
  if (audio) args.push('-c:a', 'aac', '-ac', '2', '-b:a', '64k');
  args.push('-f', 'flv', url);
  return run('ffmpeg', args);
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
