import type { Db } from '../storage/db.js';

/** One row of the cameras table (migrations/0004_cameras.sql). */
export interface CameraRow {
  id: string;
  /** the camera's settings JSON; null: a tombstone (a config camera deleted through the API) */
  settings: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The cameras table: what the API changed, over the config file. */
export class CameraStore {
  private readonly all_;
  private readonly upsert_;
  private readonly delete_;

  constructor(db: Db) {
    this.all_ = db.prepare('SELECT id, settings, created_at AS createdAt, updated_at AS updatedAt FROM cameras ORDER BY created_at, id');
    // a row written again keeps its creation time unless it was a tombstone: a camera created anew lists as new
    this.upsert_ = db.prepare(
      `INSERT INTO cameras (id, settings, created_at, updated_at) VALUES (@id, @settings, @now, @now)
       ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at,
         created_at = CASE WHEN cameras.settings IS NULL THEN excluded.created_at ELSE cameras.created_at END`,
    );
    this.delete_ = db.prepare('DELETE FROM cameras WHERE id = ?');
  }

  /** Every row, oldest first. */
  all(): CameraRow[] {
    return this.all_.all() as CameraRow[];
  }

  /** Writes a camera's settings (JSON), creating its row if need be. */
  put(id: string, settings: string, now: number): void {
    this.upsert_.run({ id, settings, now });
  }

  /** Marks a camera deleted (a config camera: the file still names it). */
  tombstone(id: string, now: number): void {
    this.upsert_.run({ id, settings: null, now });
  }

  /** Forgets a camera entirely (one only the API knew). */
  delete(id: string): void {
    this.delete_.run(id);
  }
}
