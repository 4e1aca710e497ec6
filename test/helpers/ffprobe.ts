/** Reading recordings back with the real ffmpeg / ffprobe. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What `ffmpeg -v error -i INPUT -f null -` prints: empty for a clean decode. */
export async function decodeErrors(input: string): Promise<string> {
  const { stderr } = await exec('ffmpeg', ['-nostdin', '-v', 'error', '-i', input, '-f', 'null', '-'], { maxBuffer: 1 << 24 });
  return stderr.trim();
}

export interface Probe {
  durationSec: number;
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number }[];
}

export async function probe(input: string): Promise<Probe> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', input], { maxBuffer: 1 << 24 });
  const j = JSON.parse(stdout) as { format: { duration?: string }; streams: Probe['streams'] };
  return { durationSec: Number(j.format.duration ?? NaN), streams: j.streams };
}

/** Video packets' pts in seconds, from the container (no decoding). */
export async function videoPacketTimes(input: string): Promise<number[]> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', input], {
    maxBuffer: 1 << 26,
  });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => !Number.isNaN(n));
}
