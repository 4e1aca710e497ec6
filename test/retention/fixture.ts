/** A real index and real files in a temp dir, for retention tests and the purge benchmark. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pino } from 'pino';
import { segmentPath } from '../../src/recording/segment-path.js';
import type { DiskStats } from '../../src/retention/planner.js';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { Segments, type SegmentRow } from '../../src/storage/segments.js';

export const silent = pino({ level: 'silent' });

export interface Store {
  dir: string;
  dataDir: string;
  db: Db;
  segments: Segments;
  close(): void;
}

export function makeStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-retention-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(join(dataDir, 'nvr.sqlite'));
  migrate(db);
  return {
    dir,
    dataDir,
    db,
    segments: new Segments(db),
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A segment row with a file of `bytes` bytes, as the recorder leaves them. */
export function addSegment(store: Store, s: { cameraId: string; startMs: number; durationMs: number; bytes: number; state?: 'open' | 'closed' }): { id: number; path: string } {
  const path = segmentPath(s.cameraId, s.startMs, 'flv');
  const file = join(store.dataDir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, Buffer.alloc(s.bytes));
  const id = store.segments.open({ cameraId: s.cameraId, startMs: s.startMs, format: 'flv', path, videoCodec: 'avc1.64001f', audioCodec: null, width: 640, height: 360 });
  if (s.state !== 'open') {
    store.segments.close(id, { endMs: s.startMs + s.durationMs, bytes: s.bytes, frames: 1, keyframes: Buffer.alloc(0), reason: 'duration' });
  }
  return { id, path };
}

/** Segment files under recordings/, relative to dataDir. */
export function filesOnDisk(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dataDir, p));
    }
  };
  walk(join(dataDir, 'recordings'));
  return out.sort();
}

export function indexRows(db: Db): Pick<SegmentRow, 'id' | 'cameraId' | 'startMs' | 'endMs' | 'bytes' | 'path' | 'state'>[] {
  return db.prepare('SELECT id, camera_id AS cameraId, start_ms AS startMs, end_ms AS endMs, bytes, path, state FROM segments ORDER BY start_ms, id').all() as never;
}

/**
 * A pretend volume of `totalBytes` whose free space is what the segment files
 * and `otherBytes` leave (negative when they add up to more: a disk that no
 * amount of deleting footage brings back above the floor).
 */
export function fakeVolume(dataDir: string, totalBytes: number): { probe: () => Promise<DiskStats>; otherBytes: number } {
  const v = {
    otherBytes: 0,
    probe: async (): Promise<DiskStats> => {
      const used = filesOnDisk(dataDir).reduce((n, f) => n + statSync(join(dataDir, f)).size, 0);
      return { totalBytes, freeBytes: totalBytes - used - v.otherBytes };
    },
  };
  return v;
}
