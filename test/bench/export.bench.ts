/**
 * Export of one hour of a 4 Mbit/s camera (60 one-minute FLV segments written
 * by our own segment writer), over real HTTP: time to first byte and
 * throughput, side by side with reading the same files raw (the disk/page
 * cache ceiling) and with ffmpeg's concat demuxer remuxing them to fMP4
 * (what a pile of ffmpeg scripts would do).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildHttpServer, listenHttp } from '../../src/http/server.js';
import { FlvSegmentWriter } from '../../src/recording/formats/flv-segment.js';
import { encodeKeyframes } from '../../src/recording/keyframe-index.js';
import { segmentPath } from '../../src/recording/segment-path.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { Segments } from '../../src/storage/segments.js';
import { loadClip } from './fixture.js';
import { median, printTable } from './table.js';

const MINUTES = 60;

export async function exportBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-export-'));
  try {
    const clip = loadClip();
    const db = openDatabase(join(dir, 'nvr.sqlite'));
    migrate(db);
    const segments = new Segments(db);
    const t0 = Date.UTC(2026, 10, 25, 10);
    const video = clip.configs.find((c) => c.track === 'video') ?? null;
    const audio = clip.configs.find((c) => c.track === 'audio') ?? null;
    let totalBytes = 0;
    const files: string[] = [];
    const first = clip.frames[0].dts;
    for (let m = 0; m < MINUTES; m++) {
      const startMs = t0 + m * 60_000;
      const rel = segmentPath('cam', startMs, 'flv');
      const w = new FlvSegmentWriter({ video, audio });
      const parts = w.begin();
      const seek: { timeMs: number; offset: number }[] = [];
      for (const f of clip.frames) {
        const out = w.frame(f, f.dts - first);
        parts.push(...out.parts);
        for (const p of out.seekPoints) seek.push({ timeMs: startMs + p.relMs, offset: p.offset });
      }
      const body = Buffer.concat(parts);
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), body);
      files.push(join(dir, rel));
      totalBytes += body.length;
      const id = segments.open({ cameraId: 'cam', startMs, format: 'flv', path: rel, videoCodec: null, audioCodec: null, width: null, height: null });
      segments.close(id, { endMs: startMs + 60_000, bytes: body.length, frames: clip.frames.length, keyframes: encodeKeyframes(startMs, seek), reason: 'duration' });
    }
    const app = buildHttpServer({ logger: pino({ level: 'silent' }), cameras: { list: () => [] }, version: 'bench', recordings: { segments, dataDir: dir, cameraIds: () => ['cam'] } });
    const port = await listenHttp(app, 0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}/api/cameras/cam/export.mp4?from=${t0}&to=${t0 + MINUTES * 60_000}`;

    const rows: (string | number)[][] = [];
    const ours = { ttfb: [] as number[], secs: [] as number[], bytes: 0 };
    for (let i = 0; i < 3; i++) {
      const r = await fetchAll(url);
      ours.ttfb.push(r.ttfbMs);
      ours.secs.push(r.totalMs / 1000);
      ours.bytes = r.bytes;
    }
    const mbps = (bytes: number, s: number) => bytes / 1e6 / s;
    rows.push(['ours: GET export.mp4 (1 h, HTTP)', median(ours.ttfb), median(ours.secs), mbps(ours.bytes, median(ours.secs)), ours.bytes / 1e6]);
    const raw: number[] = [];
    for (let i = 0; i < 3; i++) raw.push(await readRaw(files));
    rows.push(['raw read of the 60 files (ceiling)', '-', median(raw), mbps(totalBytes, median(raw)), totalBytes / 1e6]);
    const list = join(dir, 'concat.txt');
    writeFileSync(list, files.map((f) => `file '${f}'`).join('\n'));
    const ff = await ffmpegConcat(list);
    rows.push(['ffmpeg concat -c copy to fMP4 (pipe)', ff.ttfbMs, ff.totalMs / 1000, mbps(ff.bytes, ff.totalMs / 1000), ff.bytes / 1e6]);
    printTable(`Export of ${MINUTES} min of ${((clip.mediaBytes * 8) / clip.durationMs / 1000).toFixed(1)} Mbit/s (${(totalBytes / 1e9).toFixed(2)} GB of FLV)`, ['what', 'first byte ms', 'total s', 'MB/s', 'MB out'], rows);
    console.log(`\nours / ffmpeg throughput: ${(mbps(ours.bytes, median(ours.secs)) / mbps(ff.bytes, ff.totalMs / 1000)).toFixed(2)}x; ours / raw read: ${(mbps(ours.bytes, median(ours.secs)) / mbps(totalBytes, median(raw))).toFixed(2)}x`);
    await app.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fetchAll(url: string): Promise<{ ttfbMs: number; totalMs: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
  const reader = res.body!.getReader();
  let ttfb = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) ttfb = performance.now() - t;
    bytes += value.length;
  }
  return { ttfbMs: ttfb, totalMs: performance.now() - t, bytes };
}

async function readRaw(files: string[]): Promise<number> {
  const t = performance.now();
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      createReadStream(f, { highWaterMark: 1 << 20 }).on('data', () => {}).on('end', resolve).on('error', reject);
    });
  }
  return (performance.now() - t) / 1000;
}

function ffmpegConcat(list: string): Promise<{ ttfbMs: number; totalMs: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const p = spawn('ffmpeg', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov', 'pipe:1']);
    let bytes = 0;
    let ttfb = 0;
    p.stdout.on('data', (d: Buffer) => {
      if (bytes === 0) ttfb = performance.now() - t;
      bytes += d.length;
    });
    p.on('error', reject);
    p.on('close', () => resolve({ ttfbMs: ttfb, totalMs: performance.now() - t, bytes }));
  });
}
