/** Test helper: ffprobe's view of a fixture, to compare our parsers against. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/media/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  level?: number;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

export interface ProbePacket {
  codec_type: string;
  pts?: number;
  dts?: number;
  size: string;
  pos?: string;
  flags: string;
}

function probe(name: string, what: string): string {
  return execFileSync('ffprobe', ['-v', 'error', what, '-of', 'json', FIXTURES + name], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
}

export function probeStreams(name: string): ProbeStream[] {
  return (JSON.parse(probe(name, '-show_streams')) as { streams: ProbeStream[] }).streams;
}

export function probePackets(name: string): ProbePacket[] {
  return (JSON.parse(probe(name, '-show_packets')) as { packets: ProbePacket[] }).packets;
}

/** "30000/1001" -> 29.97 (3 decimals, like our fps) */
export function rate(r: string | undefined): number {
  const [n, d] = (r ?? '0/1').split('/').map(Number);
  return Math.round((n / d) * 1000) / 1000;
}
