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
}
