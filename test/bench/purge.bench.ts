/**
 * Purging 10,000 segments (real files, real SQLite rows) while a recorder
 * takes the 1080p clip in real time on the same event loop, database and
 * thread pool: the pass's total time, and how late frames are handled while
 * it runs (the delay a frame arriving from a camera would see before ingest
 * reads it), against the same run with no purge. Goal: p99 under 50 ms.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import type { MediaFrame } from '../../src/media/frame.js';
import { Recorder } from '../../src/recording/recorder.js';
import { segmentPath } from '../../src/recording/segment-path.js';
import { DiskGate } from '../../src/retention/disk-gate.js';
import { Retention } from '../../src/retention/retention.js';
import { DAY_MS, type RetentionRules } from '../../src/retention/rules.js';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { MAX_SEGMENT_MS, Segments } from '../../src/storage/segments.js';
import { loadClip, type Clip } from './fixture.js';
import { median, printTable } from './table.js';

const SEGMENTS = 10_000;
const RUNS = 3;
const CAMERAS = 10;
const FILE_BYTES = 64 * 1024;
const log = pino({ level: 'silent' });

export async function purgeBench(): Promise<void> {
  const clip = loadClip();
  const rows: (string | number)[][] = [];
  rows.push(['no purge (baseline, 3 s)', '-', '-', ...summary(await run(clip, null))]);
  for (const kind of ['age', 'budget'] as const) {
    const passMs: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const d = await run(clip, async (r) => {
        const t0 = performance.now();
        const report = await r.runPass();
        passMs.push(performance.now() - t0);
        if (report.deleted !== SEGMENTS) throw new Error(`deleted ${report.deleted} of ${SEGMENTS}`);
      }, kind);
      delays.push(...d);
    }
    const what = kind === 'age' ? 'pass: 10,000 past their days (per-camera walks)' : 'pass: volume budget, 10,000 oldest (merged walk)';
    const ms = median(passMs);
    rows.push([what, ms, Math.round((SEGMENTS / ms) * 1000), ...summary(delays)]);
  }
  // for comparison: the same deletes done in one go on the event loop
  let naiveMs = 0;
  const naive = await run(clip, async (_r, store) => {
    await sleep(0);
    const t0 = performance.now();
    const all = store.db.prepare('SELECT id, path FROM segments WHERE camera_id != ?').all('live') as { id: number; path: string }[];
    for (const row of all) unlinkSync(join(store.dir, row.path));
    store.segments.removeMany(all.map((r) => r.id));
    naiveMs = performance.now() - t0;
  });
  rows.push(['naive: unlinkSync each, one transaction', naiveMs, Math.round((SEGMENTS / naiveMs) * 1000), ...summary(naive)]);
  printTable(
    `Purging ${SEGMENTS.toLocaleString('en')} segments (${CAMERAS} cameras, ${FILE_BYTES / 1024} KiB files) while recording 1080p in real time (passes: median of ${RUNS}, delays pooled)`,
    ['what', 'ms', 'segments/s', 'frame delay p50 ms', 'p99 ms', 'max ms', 'frames'],
    rows,
  );
}

/** Records the clip in real time; runs `purge` (if any) a second in; returns the delays of frames due during it (or 3 s). */
async function run(clip: Clip, purge: ((r: Retention, store: { db: Db; segments: Segments; dir: string }) => Promise<void>) | null, kind: 'age' | 'budget' = 'age'): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-purge-'));
  const db = openDatabase(join(dir, 'nvr.sqlite'));
  try {
    migrate(db);
    const segments = new Segments(db);
    const now = Date.now();
    if (purge) seed(db, segments, dir, now - 30 * DAY_MS);
    const rules: RetentionRules = {
      cameras: new Map(Array.from({ length: CAMERAS }, (_, i) => [`cam${i}`, { days: kind === 'age' ? 7 : 60, eventDays: 60 }])),
      fallback: { days: 14, eventDays: 60 },
      volume: { minFreeBytes: 0, minFreePercent: 0, maxBytes: kind === 'budget' ? 1 : undefined },
    };
    const retention = new Retention({ dataDir: dir, segments, rules, schedule: '0 0 1 1 *', gate: new DiskGate(), log, orphanGraceMs: 60_000 });
    const recorder = new Recorder({
      cameraId: 'live',
      format: 'flv',
      segmenter: { segmentMs: 60_000, maxGapMs: 5000, maxDriftMs: 2000, maxSegmentMs: MAX_SEGMENT_MS, videoWaitMs: 3000 },
      dataDir: dir,
      segments,
      log,
      fsyncIntervalMs: 1000,
      indexIntervalMs: 5000,
      maxQueuedBytes: 64 << 20,
    });
    const feed = realTimeFeed(clip, recorder);
    await sleep(1000);
    const from = performance.now();
    if (purge) await purge(retention, { db, segments, dir });
    else await sleep(3000);
    const to = performance.now();
    await sleep(200); // frames due during the purge but handled after it count too
    await feed.stop();
    await recorder.stop();
    return feed.delays.filter((x) => x.due >= from && x.due <= to).map((x) => x.delay);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Old closed segments across the cameras, each a real file. */
function seed(db: Db, segments: Segments, dir: string, start: number): void {
  const body = Buffer.alloc(FILE_BYTES, 1);
  const perCamera = SEGMENTS / CAMERAS;
  db.transaction(() => {
    for (let c = 0; c < CAMERAS; c++) {
      for (let i = 0; i < perCamera; i++) {
        const startMs = start + i * 60_000 + c;
        const path = segmentPath(`cam${c}`, startMs, 'flv');
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), body);
        const id = segments.open({ cameraId: `cam${c}`, startMs, format: 'flv', path, videoCodec: 'avc1.640028', audioCodec: 'mp4a.40.2', width: 1920, height: 1080 });
        segments.close(id, { endMs: startMs + 60_000, bytes: FILE_BYTES, frames: 1500, keyframes: Buffer.alloc(120, 1), reason: 'duration' });
      }
    }
  })();
}

/** Frames handed to the recorder when their media time comes, as ingest would; each one's lateness noted. */
function realTimeFeed(clip: Clip, recorder: Recorder): { delays: { due: number; delay: number }[]; stop(): Promise<void> } {
  const c = recorder.consumer;
  for (const cfg of clip.configs) c.onConfig(cfg);
  const delays: { due: number; delay: number }[] = [];
  const t0 = performance.now();
  const dts0 = clip.frames[0].dts;
  let i = 0;
  let stopped = false;
  let lastTick = t0;
  const step = (): void => {
    if (stopped) return;
    const now = performance.now();
    while (i < clip.frames.length && t0 + (clip.frames[i].dts - dts0) <= now) {
      const f = clip.frames[i++];
      const due = t0 + (f.dts - dts0);
      delays.push({ due, delay: now - due });
      c.onFrame(f as MediaFrame);
    }
    if (now - lastTick >= 500) {
      c.tick();
      lastTick = now;
    }
    if (i >= clip.frames.length) return;
    setTimeout(step, Math.max(0, t0 + (clip.frames[i].dts - dts0) - performance.now()));
  };
  step();
  return {
    delays,
    async stop() {
      stopped = true;
      await c.idle();
    },
  };
}

function summary(d: number[]): number[] {
  return [pct(d, 0.5), pct(d, 0.99), Math.max(...d), d.length];
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
