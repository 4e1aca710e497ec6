import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

export type SegmentFormat = 'flv' | 'mp4';

export interface SegmentRow {
  id: number;
  cameraId: string;
  startMs: number;
  endMs: number;
  bytes: number;
  format: SegmentFormat;
  /** relative to dataDir */
  path: string;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  state: 'open' | 'closed' | 'missing';
  endReason: string | null;
  frames: number;
  keyframes: Buffer | null;
}

export interface SegmentOpen {
  cameraId: string;
  startMs: number;
  format: SegmentFormat;
  path: string;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
}

export interface SegmentProgress {
  endMs: number;
  bytes: number;
  frames: number;
  keyframes: Buffer;
}

export interface Span {
  startMs: number;
  endMs: number;
}

/**
 * Longest a segment may be: the recorder cuts at this length even without a
 * keyframe, so range queries can bound their index scan by it.
 */
export const MAX_SEGMENT_MS = 2 * 60 * 60 * 1000;

export interface CameraUsage {
  bytes: number;
  segments: number;
  oldestMs: number | null;
}

/** What retention reads per row. */
export type SegmentBrief = Pick<SegmentRow, 'id' | 'cameraId' | 'startMs' | 'endMs' | 'bytes' | 'state'>;

/** What a listing returns: the covering index's columns (no path, no keyframe index). */
export type SegmentListRow = Omit<SegmentRow, 'path' | 'keyframes'>;

const COLUMNS = `id, camera_id AS cameraId, start_ms AS startMs, end_ms AS endMs, bytes, format, path,
  video_codec AS videoCodec, audio_codec AS audioCodec, width, height, state, end_reason AS endReason, frames, keyframes`;

/** The segments table (migrations/0002_recordings.sql). */
export class Segments {
  private readonly insert: Statement;
  private readonly update: Statement;
  private readonly finish: Statement;
  private readonly missing: Statement;
  private readonly delete_: Statement;
  private readonly range: Statement;
  private readonly spans: Statement;
  private readonly brief: Statement;
  private readonly open_: Statement;
  private readonly byId: Statement;
  private readonly byPath: Statement;
  private readonly cameras_: Statement;
  private readonly usage_: Statement;
  private readonly oldest: Statement;
  private readonly startingIn_: Statement;
  private readonly pathOf_: Statement;
  private readonly firstStart: Statement;
  private readonly lastStart: Statement;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO segments (camera_id, start_ms, end_ms, format, path, video_codec, audio_codec, width, height, state)
       VALUES (@cameraId, @startMs, @startMs, @format, @path, @videoCodec, @audioCodec, @width, @height, 'open')`,
    );
    this.update = db.prepare(
      "UPDATE segments SET end_ms = @endMs, bytes = @bytes, frames = @frames, keyframes = @keyframes WHERE id = @id AND state = 'open'",
    );
    this.finish = db.prepare(
      `UPDATE segments SET end_ms = @endMs, bytes = @bytes, frames = @frames, keyframes = @keyframes,
         end_reason = @reason, state = 'closed' WHERE id = @id`,
    );
    this.missing = db.prepare("UPDATE segments SET state = 'missing' WHERE id = ?");
    this.delete_ = db.prepare('DELETE FROM segments WHERE id = ?');
    // start_ms bounds keep this an index range scan whatever the history length
    const overlapping = `FROM segments WHERE camera_id = @cameraId AND start_ms >= @lowest AND start_ms < @to AND end_ms > @from AND state != 'missing'`;
    this.range = db.prepare(`SELECT ${COLUMNS} ${overlapping} ORDER BY start_ms`);
    this.brief = db
      .prepare(`SELECT id, start_ms, end_ms, bytes, state, format, end_reason, video_codec, audio_codec, width, height ${overlapping} ORDER BY start_ms`)
      .raw(true);
    this.spans = db.prepare(`SELECT start_ms AS startMs, end_ms AS endMs ${overlapping} ORDER BY start_ms`).raw(true);
    this.open_ = db.prepare(`SELECT ${COLUMNS} FROM segments WHERE state = 'open' ORDER BY id`);
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM segments WHERE id = ?`);
    this.byPath = db.prepare(`SELECT ${COLUMNS} FROM segments WHERE path = ?`);
    // retention (src/retention/); the camera list skips from one camera_id to the next instead of scanning every row
    this.cameras_ = db
      .prepare(
        `WITH RECURSIVE c(id) AS (SELECT (SELECT MIN(camera_id) FROM segments)
           UNION ALL SELECT (SELECT MIN(camera_id) FROM segments WHERE camera_id > c.id) FROM c WHERE c.id IS NOT NULL)
         SELECT id FROM c WHERE id IS NOT NULL`,
      )
      .pluck();
    this.usage_ = db.prepare(
      `SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS segments, MIN(start_ms) AS oldestMs
       FROM segments WHERE camera_id = ? AND state != 'missing'`,
    );
    this.oldest = db.prepare(
      `SELECT id, camera_id AS cameraId, start_ms AS startMs, end_ms AS endMs, bytes, state
       FROM segments WHERE camera_id = @cameraId AND start_ms > @after ORDER BY start_ms LIMIT @limit`,
    );
    this.startingIn_ = db.prepare('SELECT id, path, state FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms < ?').raw(true);
    this.pathOf_ = db.prepare('SELECT path FROM segments WHERE id = ?').pluck();
    // one aggregate each, so both are a single index probe
    this.firstStart = db.prepare('SELECT MIN(start_ms) FROM segments WHERE camera_id = ?').pluck();
    this.lastStart = db.prepare('SELECT MAX(start_ms) FROM segments WHERE camera_id = ?').pluck();
  }

  /** A row for a segment file just opened; returns its id. */
  open(s: SegmentOpen): number {
    return Number(this.insert.run(s).lastInsertRowid);
  }

  /** Progress of growing segments, in one transaction (the recorder batches them). */
  progress(updates: readonly (SegmentProgress & { id: number })[]): void {
    if (updates.length === 0) return;
    this.db.transaction(() => {
      for (const u of updates) this.update.run(u);
    })();
  }

  close(id: number, p: SegmentProgress & { reason: string }): void {
    this.finish.run({ ...p, id });
  }

  markMissing(id: number): void {
    this.missing.run(id);
  }

  remove(id: number): void {
    this.delete_.run(id);
  }

  listOpen(): SegmentRow[] {
    return this.open_.all() as SegmentRow[];
  }

  get(id: number): SegmentRow | undefined {
    return this.byId.get(id) as SegmentRow | undefined;
  }

  getByPath(path: string): SegmentRow | undefined {
    return this.byPath.get(path) as SegmentRow | undefined;
  }

  /** Segments overlapping [fromMs, toMs), oldest first. */
  list(cameraId: string, fromMs: number, toMs: number): SegmentRow[] {
    return this.range.all({ cameraId, from: fromMs, to: toMs, lowest: fromMs - MAX_SEGMENT_MS }) as SegmentRow[];
  }

  /**
   * The listing columns of segments overlapping [fromMs, toMs), oldest first:
   * read from the covering index as arrays (a month is 43,200 rows per camera).
   */
  listBrief(cameraId: string, fromMs: number, toMs: number): SegmentListRow[] {
    const rows = this.brief.all({ cameraId, from: fromMs, to: toMs, lowest: fromMs - MAX_SEGMENT_MS }) as unknown[][];
    const out: SegmentListRow[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      out[i] = {
        id: r[0] as number,
        cameraId,
        startMs: r[1] as number,
        endMs: r[2] as number,
        bytes: r[3] as number,
        state: r[4] as SegmentRow['state'],
        format: r[5] as SegmentFormat,
        endReason: r[6] as string | null,
        videoCodec: r[7] as string | null,
        audioCodec: r[8] as string | null,
        width: r[9] as number | null,
        height: r[10] as number | null,
        frames: 0,
      };
    }
    return out;
  }

  /** Recorded coverage in [fromMs, toMs), merged across boundaries closer than mergeGapMs. */
  timeline(cameraId: string, fromMs: number, toMs: number, mergeGapMs = 1000): Span[] {
    const rows = this.spans.all({ cameraId, from: fromMs, to: toMs, lowest: fromMs - MAX_SEGMENT_MS }) as [number, number][];
    const spans: Span[] = [];
    let cur: Span | null = null;
    for (const [s, e] of rows) {
      if (cur && s - cur.endMs <= mergeGapMs) {
        if (e > cur.endMs) cur.endMs = e;
        continue;
      }
      cur = { startMs: s, endMs: e };
      spans.push(cur);
    }
    for (const sp of spans) {
      sp.startMs = Math.max(sp.startMs, fromMs);
      sp.endMs = Math.min(sp.endMs, toMs);
    }
    return spans;
  }

  /** Every camera id the index has rows for (configured or not). */
  cameraIds(): string[] {
    return this.cameras_.all() as string[];
  }

  /** A camera's footage as the index counts it: bytes and segments (open ones included, missing ones not), and its oldest start. */
  usage(cameraId: string): CameraUsage {
    return this.usage_.get(cameraId) as CameraUsage;
  }

  /** A camera's rows starting after `afterMs`, oldest first, at most `limit` (any state). */
  oldestAfter(cameraId: string, afterMs: number, limit: number): SegmentBrief[] {
    return this.oldest.all({ cameraId, after: afterMs, limit }) as SegmentBrief[];
  }

  /** [id, path, state] of a camera's rows starting in [fromMs, toMs), as arrays (one folder's worth: a UTC day). */
  startingIn(cameraId: string, fromMs: number, toMs: number): [number, string, SegmentRow['state']][] {
    return this.startingIn_.all(cameraId, fromMs, toMs) as [number, string, SegmentRow['state']][];
  }

  /** The first and last start_ms of a camera's rows (any state); null without rows. */
  startBounds(cameraId: string): { firstMs: number; lastMs: number } | null {
    const firstMs = this.firstStart.get(cameraId) as number | null;
    return firstMs === null ? null : { firstMs, lastMs: this.lastStart.get(cameraId) as number };
  }

  pathOf(id: number): string | undefined {
    return this.pathOf_.get(id) as string | undefined;
  }

  /** Deletes rows in one transaction (their files are already gone). */
  removeMany(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.delete_.run(id);
    })();
  }
}
