import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/db.js';

export interface Thumbnail {
  cameraId: string;
  atMs: number;
  width: number;
  height: number;
  jpeg: Buffer;
}

/** The thumbnails table (migrations/0003_motion.sql): one small JPEG per keyframe interval. */
export class ThumbnailStore {
  private readonly insert: Statement;
  private readonly before: Statement;
  private readonly after: Statement;
  private readonly latest_: Statement;
  private readonly prune: Statement;
  private readonly cameraIds_: Statement;

  constructor(db: Db) {
    // a replayed keyframe (same camera and time) replaces the earlier picture
    this.insert = db.prepare(
      'INSERT OR REPLACE INTO thumbnails (camera_id, at_ms, width, height, jpeg) VALUES (@cameraId, @atMs, @width, @height, @jpeg)',
    );
    const cols = 'camera_id AS cameraId, at_ms AS atMs, width, height, jpeg';
    this.before = db.prepare(`SELECT ${cols} FROM thumbnails WHERE camera_id = ? AND at_ms <= ? ORDER BY at_ms DESC LIMIT 1`);
    this.after = db.prepare(`SELECT ${cols} FROM thumbnails WHERE camera_id = ? AND at_ms > ? ORDER BY at_ms ASC LIMIT 1`);
    this.latest_ = db.prepare(`SELECT ${cols} FROM thumbnails WHERE camera_id = ? ORDER BY at_ms DESC LIMIT 1`);
    this.prune = db.prepare('DELETE FROM thumbnails WHERE camera_id = ? AND at_ms < ?');
    this.cameraIds_ = db.prepare('SELECT DISTINCT camera_id FROM thumbnails').pluck();
  }

  add(t: Thumbnail): void {
    this.insert.run(t);
  }

  /** The thumbnail nearest in time to atMs (the earlier one on a tie), or undefined if the camera has none. */
  nearest(cameraId: string, atMs: number): Thumbnail | undefined {
    const a = this.before.get(cameraId, atMs) as Thumbnail | undefined;
    const b = this.after.get(cameraId, atMs) as Thumbnail | undefined;
    if (!a || !b) return a ?? b;
    return atMs - a.atMs <= b.atMs - atMs ? a : b;
  }

  latest(cameraId: string): Thumbnail | undefined {
    return this.latest_.get(cameraId) as Thumbnail | undefined;
  }

  /** Every camera with thumbnails, removed ones included (an index scan). */
  cameraIds(): string[] {
    return this.cameraIds_.all() as string[];
  }

  /** Deletes the camera's thumbnails older than beforeMs; returns how many. */
  deleteBefore(cameraId: string, beforeMs: number): number {
    return this.prune.run(cameraId, beforeMs).changes;
  }
}
