/**
 * Recorder CPU per camera at 4 Mbit/s: our recorder (FLV and fMP4 segments,
 * real files, real SQLite) fed 5 minutes of the 1080p clip as fast as it takes
 * them, against ffmpeg's segment muxer doing the same job (`-c copy -f segment`).
 * Reported as CPU seconds per minute of media and as % of one core at real time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { MediaFrame } from '../../src/media/frame.js';
import { Recorder } from '../../src/recording/recorder.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { MAX_SEGMENT_MS, Segments } from '../../src/storage/segments.js';
import { benchClip, loadClip } from './fixture.js';
import { printTable } from './table.js';

const LOOPS = 5;

export async function recorderBench(): Promise<void> {
  const clip = loadClip();
  const mediaMin = (LOOPS * clip.durationMs) / 60_000;
  const rows: (string | number)[][] = [];
  for (const format of ['flv', 'mp4'] as const) {
    const cpu = await ours(format, clip);
    rows.push([`ours: recorder, ${format} segments`, cpu / mediaMin, (cpu / mediaMin / 60) * 100]);
  }
  const ff = ffmpegSegments();
  rows.push(['ffmpeg -c copy -f segment (flv)', ff / mediaMin, (ff / mediaMin / 60) * 100]);
  printTable(`Recorder CPU, ${mediaMin.toFixed(0)} min of ${((clip.mediaBytes * 8) / clip.durationMs / 1000).toFixed(1)} Mbit/s 1080p25 + AAC`, ['what', 'CPU s per media minute', '% of a core at real time'], rows);
  console.log(`\nours (flv) / ffmpeg: ${((rows[0][1] as number) / (rows[2][1] as number)).toFixed(2)}x`);
}

async function ours(format: 'flv' | 'mp4', clip: ReturnType<typeof loadClip>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-rec-'));
  try {
    const db = openDatabase(join(dir, 'nvr.sqlite'));
    migrate(db);
    let now = Date.UTC(2026, 10, 25, 10);
    const recorder = new Recorder({
      cameraId: 'cam',
      format,
      segmenter: { segmentMs: 60_000, maxGapMs: 5000, maxDriftMs: 2000, maxSegmentMs: MAX_SEGMENT_MS, videoWaitMs: 3000 },
      dataDir: dir,
      segments: new Segments(db),
      log: pino({ level: 'silent' }),
      fsyncIntervalMs: 1000,
      indexIntervalMs: 5000,
      maxQueuedBytes: 1 << 30,
      now: () => now,
    });
    const c = recorder.consumer;
    const start = process.cpuUsage();
    for (const cfg of clip.configs) c.onConfig(cfg);
    const span = clip.durationMs + 40;
    const t0 = now;
    for (let loop = 0; loop < LOOPS; loop++) {
      for (const f of clip.frames) {
        const frame = { ...f, dts: f.dts + loop * span, pts: f.pts + loop * span } as MediaFrame;
        now = t0 + frame.dts; // arriving in real time, as a camera's frames do
        c.onFrame(frame);
        if (frame.track === 'video' && frame.keyframe) {
          c.tick(); // the once-a-second flush/sync/index tick, at its real-time rate
          await c.idle();
        }
      }
    }
    await recorder.stop();
    const used = process.cpuUsage(start);
    db.close();
    return (used.user + used.system) / 1e6;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ffmpeg's own accounting (-benchmark: utime + stime) for the same job. */
function ffmpegSegments(): number {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-ff-'));
  try {
    const r = spawnSync('ffmpeg', ['-benchmark', '-hide_banner', '-nostats', '-stream_loop', String(LOOPS - 1), '-i', benchClip(), '-c', 'copy', '-f', 'segment', '-segment_time', '60', join(dir, 'seg%03d.flv')], { encoding: 'utf8' });
    const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(r.stderr + r.stdout);
    if (!m) throw new Error(`no -benchmark line from ffmpeg: ${r.stderr}`);
    return Number(m[1]) + Number(m[2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
