import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';

export interface PublishSessionStart {
  cameraId: string;
  /** "ip:port" of the publisher. */
  peer: string;
  /** flashVer from the client's connect command, if it sent one. */
  client: string | null;
  /** ms UTC */
  startedAt: number;
}

export interface PublishSessionEnd {
  /** ms UTC */
  endedAt: number;
  reason: string;
  bytesIn: number;
}

export interface PublishSessionRow {
  id: number;
  cameraId: string;
  peer: string;
  client: string | null;
  startedAt: number;
  endedAt: number | null;
  endReason: string | null;
  bytesIn: number;
}

/** The publish_sessions table (migrations/0001_init.sql). */
export class PublishSessions {
  private readonly insert: Statement;
  private readonly finish: Statement;
  private readonly finishDangling: Statement;
  private readonly byId: Statement;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO publish_sessions (camera_id, peer, client, started_at) VALUES (@cameraId, @peer, @client, @startedAt)',
    );
    // `ended_at IS NULL` makes end() idempotent: the first reason recorded wins.
    this.finish = db.prepare(
      'UPDATE publish_sessions SET ended_at = ?, end_reason = ?, bytes_in = ? WHERE id = ? AND ended_at IS NULL',
    );
    this.finishDangling = db.prepare(
      "UPDATE publish_sessions SET ended_at = MAX(?, started_at), end_reason = 'crash-recovered' WHERE ended_at IS NULL",
    );
    this.byId = db.prepare(
      `SELECT id, camera_id AS cameraId, peer, client, started_at AS startedAt, ended_at AS endedAt,
              end_reason AS endReason, bytes_in AS bytesIn
         FROM publish_sessions WHERE id = ?`,
    );
  }

  /** Records an accepted publish; returns the session id. */
  start(s: PublishSessionStart): number {
    return Number(this.insert.run(s).lastInsertRowid);
  }

  /** Closes a session; false if it was unknown or already ended. */
  end(id: number, e: PublishSessionEnd): boolean {
    return this.finish.run(e.endedAt, e.reason, e.bytesIn, id).changes === 1;
  }

  /**
   * At start-up, before any publisher is accepted: rows still open were left
   * by a process that died. Their true end is unknown, so they end `now`.
   * Returns how many were closed.
   */
  closeDangling(now: number): number {
    return this.finishDangling.run(now).changes;
  }

  get(id: number): PublishSessionRow | undefined {
    return this.byId.get(id) as PublishSessionRow | undefined;
  }
}
