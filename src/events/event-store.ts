import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/db.js';

/**
 * Longest an event may last: the tracker ends one at motion.maxEventSeconds
 * (at most this), so a range query can bound its index scan by it.
 */
export const MAX_EVENT_MS = 60 * 60 * 1000;

export type EventEndReason = 'quiet' | 'max-length' | 'publish-ended' | 'decoder-lost' | 'shutdown' | 'crash-recovered' | 'settings-changed' | 'camera-removed';

export interface EventRow {
  id: number;
  cameraId: string;
  type: 'motion';
  startMs: number;
  /** null while ongoing */
  endMs: number | null;
  /** percent of the watched area in motion at the peak */
  peakScore: number;
  peakMs: number;
  zones: string[];
  endReason: EventEndReason | null;
  hasSnapshot: boolean;
}

export interface EventStart {
  cameraId: string;
  startMs: number;
  score: number;
  zones: string[];
  snapshot: Buffer | null;
}

export interface EventQuery {
  cameraId?: string;
  fromMs: number;
  toMs: number;
  limit: number;
  order: 'asc' | 'desc';
}

const COLUMNS = `id, camera_id AS cameraId, type, start_ms AS startMs, end_ms AS endMs, peak_score AS peakScore,
  peak_ms AS peakMs, zones, end_reason AS endReason, snapshot IS NOT NULL AS hasSnapshot`;

type RawRow = Omit<EventRow, 'zones' | 'hasSnapshot'> & { zones: string; hasSnapshot: number };

/** The events table (migrations/0003_motion.sql). Also answers retention's "does footage overlap an event". */
export class EventStore {
  private readonly insert: Statement;
  private readonly peak: Statement;
  private readonly finish_: Statement;
  private readonly dangling: Statement;
  private readonly byId: Statement;
  private readonly snapshot_: Statement;
  private readonly overlap: Statement;
  private readonly prune: Statement;
  private readonly cameraIds_: Statement;
  private readonly lists = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO events (camera_id, start_ms, peak_score, peak_ms, zones, snapshot)
       VALUES (@cameraId, @startMs, @score, @startMs, @zones, @snapshot)`,
    );
    // a snapshot is only replaced when a new one came with the higher peak
    this.peak = db.prepare(
      `UPDATE events SET peak_score = @score, peak_ms = @peakMs, zones = @zones, snapshot = COALESCE(@snapshot, snapshot)
       WHERE id = @id AND end_ms IS NULL`,
    );
    this.finish_ = db.prepare('UPDATE events SET end_ms = MAX(@endMs, start_ms), end_reason = @reason, zones = @zones WHERE id = @id AND end_ms IS NULL');
    this.dangling = db.prepare(
      "UPDATE events SET end_ms = MAX(peak_ms, start_ms), end_reason = 'crash-recovered' WHERE end_ms IS NULL",
    );
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`);
    this.snapshot_ = db.prepare('SELECT snapshot FROM events WHERE id = ?').pluck();
    this.overlap = db
      .prepare(
        `SELECT 1 FROM events WHERE camera_id = @cameraId AND start_ms >= @lowest AND start_ms < @endMs
         AND (end_ms IS NULL OR end_ms >= @startMs) LIMIT 1`,
      )
      .pluck();
    this.prune = db.prepare('DELETE FROM events WHERE camera_id = ? AND start_ms < ? AND end_ms IS NOT NULL');
    this.cameraIds_ = db.prepare('SELECT DISTINCT camera_id FROM events').pluck();
  }

  /** Records a starting event; returns its id. */
  start(e: EventStart): number {
    return Number(this.insert.run({ ...e, zones: JSON.stringify(e.zones) }).lastInsertRowid);
  }

  /** A higher peak (and its snapshot, when one was made) for an ongoing event. */
  updatePeak(id: number, score: number, peakMs: number, zones: string[], snapshot: Buffer | null): void {
    this.peak.run({ id, score, peakMs, zones: JSON.stringify(zones), snapshot });
  }

  /** Ends an ongoing event; a no-op for one already ended (the first reason wins). */
  finish(id: number, endMs: number, reason: EventEndReason, zones: string[]): void {
    this.finish_.run({ id, endMs, reason, zones: JSON.stringify(zones) });
  }

  /** Start-up: events a crash left ongoing end at their peak. Returns how many. */
  closeDangling(): number {
    return this.dangling.run().changes;
  }

  get(id: number): EventRow | undefined {
    const r = this.byId.get(id) as RawRow | undefined;
    return r && toRow(r);
  }

  snapshot(id: number): Buffer | null {
    return (this.snapshot_.get(id) as Buffer | null | undefined) ?? null;
  }

  /** Events overlapping [fromMs, toMs), ongoing ones included, by start time. */
  list(q: EventQuery): EventRow[] {
    const key = `${q.cameraId === undefined ? 'all' : 'one'}-${q.order}`;
    let stmt = this.lists.get(key);
    if (!stmt) {
      const camera = q.cameraId === undefined ? '' : 'camera_id = @cameraId AND ';
      stmt = this.db.prepare(
        `SELECT ${COLUMNS} FROM events
         WHERE ${camera}start_ms >= @lowest AND start_ms < @toMs AND (end_ms IS NULL OR end_ms >= @fromMs)
         ORDER BY start_ms ${q.order === 'asc' ? 'ASC' : 'DESC'}, id LIMIT @limit`,
      );
      this.lists.set(key, stmt);
    }
    const params = { cameraId: q.cameraId, fromMs: q.fromMs, toMs: q.toMs, lowest: q.fromMs - MAX_EVENT_MS, limit: q.limit };
    if (q.cameraId === undefined) delete params.cameraId;
    return (stmt.all(params) as RawRow[]).map(toRow);
  }

  /** Retention (EventSpans): whether an event of the camera overlaps [startMs, endMs). */
  overlaps(cameraId: string, startMs: number, endMs: number): boolean {
    return this.overlap.get({ cameraId, startMs, endMs, lowest: startMs - MAX_EVENT_MS }) !== undefined;
  }

  /** Every camera with events, removed ones included (an index scan). */
  cameraIds(): string[] {
    return this.cameraIds_.all() as string[];
  }

  /** Deletes the camera's ended events that started before `beforeMs`; returns how many. */
  deleteBefore(cameraId: string, beforeMs: number): number {
    return this.prune.run(cameraId, beforeMs).changes;
  }
}

function toRow(r: RawRow): EventRow {
  return { ...r, zones: parseZones(r.zones), hasSnapshot: r.hasSnapshot === 1 };
}

function parseZones(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((z): z is string => typeof z === 'string') : [];
  } catch {
    return []; // a hand-edited row; the event itself is still worth listing
  }
}
