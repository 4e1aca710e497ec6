/**
 * Listing 30 days of 1-minute segments (43,200 rows) and one day's timeline,
 * through the real HTTP routes, against what an NVR without an index does
 * (MediaMTX: walk the recordings folders and parse file names, then stat each
 * file for its size).
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildHttpServer } from '../../src/http/server.js';
import { parseSegmentName, segmentPath } from '../../src/recording/segment-path.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { Segments } from '../../src/storage/segments.js';
import { median, printTable, timeIt } from './table.js';

const DAY = 86_400_000;
const CAMERAS = 8;

export async function listingBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-list-'));
  try {
    const db = openDatabase(join(dir, 'nvr.sqlite'));
    migrate(db);
    const segments = new Segments(db);
    const end = Date.UTC(2026, 10, 25);
    const start = end - 30 * DAY;
    const kf = Buffer.alloc(60, 1);
    const t0 = performance.now();
    db.transaction(() => {
      for (let c = 0; c < CAMERAS; c++) {
        for (let t = start; t < end; t += 60_000) {
          const id = segments.open({ cameraId: `cam${c}`, startMs: t, format: 'flv', path: segmentPath(`cam${c}`, t, 'flv'), videoCodec: 'avc1.640028', audioCodec: 'mp4a.40.2', width: 1920, height: 1080 });
          segments.close(id, { endMs: t + 60_000, bytes: 30_000_000, frames: 4000, keyframes: kf, reason: 'duration' });
        }
      }
    })();
    const insertMs = performance.now() - t0;
    // the same month of files for cam0, for the folder-walking lister
    for (let t = start; t < end; t += 60_000) {
      const p = join(dir, segmentPath('cam0', t, 'flv'));
      if (t % DAY === 0 || t === start) mkdirSync(join(p, '..'), { recursive: true });
      closeSync(openSync(p, 'w'));
    }

    const app = buildHttpServer({ logger: pino({ level: 'silent' }), cameras: { list: () => [] }, version: 'bench', recordings: { segments, dataDir: dir, cameraIds: () => Array.from({ length: CAMERAS }, (_, i) => `cam${i}`) } });
    await app.ready();
    const get = async (url: string) => {
      const r = await app.inject({ method: 'GET', url });
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return r.body.length;
    };
    const month = `/api/cameras/cam0/segments?from=${start}&to=${end}`;
    const day = `/api/cameras/cam0/timeline?from=${end - DAY}&to=${end}`;
    const dayList = `/api/cameras/cam0/segments?from=${end - DAY}&to=${end}`;
    const runs = 15;
    const rows: (string | number)[][] = [];
    const monthBytes = await get(month);
    rows.push(['ours: GET segments, 30 days (43,200 rows)', median(await timeIt(() => get(month), runs)), `${(monthBytes / 1e6).toFixed(1)} MB JSON`]);
    rows.push(['ours: index read only, 30 days', median(await timeIt(() => segments.listBrief('cam0', start, end), runs)), '']);
    rows.push(['ours: GET segments, 1 day (1,440 rows)', median(await timeIt(() => get(dayList), runs)), '']);
    rows.push(['ours: GET timeline, 1 day', median(await timeIt(() => get(day), runs)), '']);
    const walk = () => walkList(dir, 'cam0', start, end);
    rows.push(['folder walk + stat, 30 days (MediaMTX-style)', median(await timeIt(walk, 5)), `${walk().length} files`]);
    rows.push(['folder walk + stat, 1 day', median(await timeIt(() => walkList(dir, 'cam0', end - DAY, end), runs)), '']);
    printTable(`Listing (${CAMERAS} cameras x 43,200 rows in the index; inserted in ${(insertMs / 1000).toFixed(1)} s)`, ['what', 'median ms', 'note'], rows);
    const ratio = (rows[4][1] as number) / (rows[0][1] as number);
    console.log(`\nfolder walk / indexed listing, 30 days: ${ratio.toFixed(1)}x`);
    await app.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What an index-less recorder does to answer "what is recorded between A and B". */
function walkList(dir: string, camera: string, from: number, to: number): { path: string; startMs: number; bytes: number }[] {
  const root = join(dir, 'recordings', camera);
  const out: { path: string; startMs: number; bytes: number }[] = [];
  for (const day of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, day)).sort()) {
      const p = parseSegmentName(name);
      if (!p || p.startMs + 60_000 <= from || p.startMs >= to) continue;
      const path = join(root, day, name);
      out.push({ path, startMs: p.startMs, bytes: statSync(path).size });
    }
  }
  return out;
}
