/**
 * Browser sessions in SQLite (migrations/0005_auth.sql): random ids of which
 * only a SHA-256 digest is stored, a CSRF token each, and sliding expiry
 * bounded by a maximum life.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/db.js';

export interface Session {
  userName: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionLifetime {
  idleMs: number;
  maxMs: number;
}

/** A new session: the cookie value goes to the browser and nowhere else. */
export interface NewSession {
  id: string;
  session: Session;
}

/** Writes for one request in a busy grid would be a write per tile per reload: refresh at most this often. */
const TOUCH_EVERY_MS = 60_000;
/** Logins pile up sessions (each device, each forgotten tab); the oldest go past this. */
const MAX_SESSIONS_PER_USER = 50;
/** Cookie values are 32 random bytes, base64url: exactly this. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  private readonly insert: Statement;
  private readonly select: Statement;
  private readonly touch: Statement;
  private readonly remove: Statement;
  private readonly removeExpired: Statement;
  private readonly trimUser: Statement;
  private readonly removeOthers: Statement;

  constructor(
    db: Db,
    private readonly lifetime: SessionLifetime,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.select = db.prepare('SELECT user_name AS userName, csrf_token AS csrfToken, created_at AS createdAt, last_seen_at AS lastSeenAt, expires_at AS expiresAt FROM sessions WHERE id_hash = ?');
    this.touch = db.prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?');
    this.remove = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    this.removeExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
    this.removeOthers = db.prepare('DELETE FROM sessions WHERE user_name = ? AND id_hash != ?');
    this.trimUser = db.prepare(
      'DELETE FROM sessions WHERE user_name = ? AND id_hash NOT IN (SELECT id_hash FROM sessions WHERE user_name = ? ORDER BY last_seen_at DESC LIMIT ?)',
    );
  }

  create(userName: string): NewSession {
    const now = this.now();
    const id = randomBytes(32).toString('base64url');
    const session: Session = { userName, csrfToken: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now, expiresAt: this.expiry(now, now) };
    this.insert.run(digest(id), session.userName, session.csrfToken, session.createdAt, session.lastSeenAt, session.expiresAt);
    this.trimUser.run(userName, userName, MAX_SESSIONS_PER_USER);
    return { id, session };
  }

  /** The live session for a cookie value, its expiry extended; undefined when unknown or expired. */
  use(id: string): Session | undefined {
    if (!SESSION_ID.test(id)) return undefined;
    const key = digest(id);
    const s = this.select.get(key) as Session | undefined;
    if (!s) return undefined;
    const now = this.now();
    if (s.expiresAt <= now) {
      this.remove.run(key);
      return undefined;
    }
    if (now - s.lastSeenAt >= TOUCH_EVERY_MS) {
      s.lastSeenAt = now;
      s.expiresAt = this.expiry(s.createdAt, now);
      this.touch.run(s.lastSeenAt, s.expiresAt, key);
    }
    return s;
  }

  delete(id: string): void {
    if (SESSION_ID.test(id)) this.remove.run(digest(id));
  }

  /** Ends every session of `userName` but `keepId` (after a password change: other devices log in again). */
  deleteOthers(userName: string, keepId: string): number {
    return this.removeOthers.run(userName, digest(keepId)).changes;
  }

  /** Drops expired rows; returns how many. */
  sweep(): number {
    return this.removeExpired.run(this.now()).changes;
  }

  private expiry(createdAt: number, lastSeenAt: number): number {
    return Math.min(lastSeenAt + this.lifetime.idleMs, createdAt + this.lifetime.maxMs);
  }
}

function digest(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}
