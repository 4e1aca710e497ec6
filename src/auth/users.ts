/**
 * Who can log in: the users in the config (auth.users) when it lists any,
 * else the users stored in the database (the first-start admin).
 */
import { randomBytes } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/db.js';
import { DEFAULT_PARAMS, hashPassword, parsePasswordHash, verifyPassword, type PasswordHash } from './password-hash.js';
import type { Role } from './roles.js';

export interface User {
  name: string;
  role: Role;
  hash: PasswordHash;
}

export interface ConfigUser {
  name: string;
  passwordHash: string;
  role: Role;
}

export const FIRST_ADMIN_NAME = 'admin';

export class Users {
  private readonly fromConfig: Map<string, User>;
  private readonly selectStored: Statement;
  private readonly countStored: Statement;
  private readonly insertStored: Statement;
  private readonly updateStored: Statement;
  /** Scrypted when the name is unknown, so an unknown user costs what a wrong password does. */
  private readonly dummy: PasswordHash;

  constructor(
    private readonly db: Db,
    configUsers: readonly ConfigUser[],
    private readonly now: () => number = Date.now,
  ) {
    this.fromConfig = new Map(configUsers.map((u) => [u.name, { name: u.name, role: u.role, hash: parsePasswordHash(u.passwordHash) }]));
    this.selectStored = db.prepare('SELECT name, role, password_hash AS passwordHash FROM users WHERE name = ?');
    this.countStored = db.prepare('SELECT count(*) AS n FROM users');
    this.insertStored = db.prepare('INSERT INTO users (name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    this.updateStored = db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?');
    const typical = this.fromConfig.values().next().value?.hash ?? this.storedSample() ?? { ...DEFAULT_PARAMS, salt: Buffer.alloc(16), hash: Buffer.alloc(32) };
    this.dummy = { N: typical.N, r: typical.r, p: typical.p, salt: randomBytes(typical.salt.length), hash: randomBytes(typical.hash.length) };
  }

  /** Config users replace stored ones entirely, so an operator's list is the whole truth. */
  get source(): 'config' | 'database' {
    return this.fromConfig.size > 0 ? 'config' : 'database';
  }

  storedCount(): number {
    return (this.countStored.get() as { n: number }).n;
  }

  find(name: string): User | undefined {
    if (this.source === 'config') return this.fromConfig.get(name);
    const row = this.selectStored.get(name) as { name: string; role: Role; passwordHash: string } | undefined;
    if (!row) return undefined;
    try {
      return { name: row.name, role: row.role, hash: parsePasswordHash(row.passwordHash) };
    } catch {
      return undefined; // a damaged row must not let anyone in, nor crash a login
    }
  }

  /** The user when name and password match; otherwise undefined after the same amount of work. */
  async verify(name: string, password: string): Promise<User | undefined> {
    const user = this.find(name);
    const ok = await verifyPassword(password, user?.hash ?? this.dummy);
    return ok && user ? user : undefined;
  }

  /**
   * First start: no users anywhere. Creates `admin` with a random password in
   * the database and returns the password (the caller prints it, once).
   */
  async createFirstAdmin(): Promise<{ name: string; password: string } | undefined> {
    if (this.source === 'config' || this.storedCount() > 0) return undefined;
    const password = randomBytes(18).toString('base64url'); // 24 characters, 144 bits
    const hash = await hashPassword(password);
    const now = this.now();
    // two processes on one dataDir: the loser's insert does nothing and it prints nothing
    const created = this.db.transaction(() => (this.storedCount() > 0 ? 0 : this.insertStored.run(FIRST_ADMIN_NAME, hash, 'admin', now, now).changes)).immediate();
    return created ? { name: FIRST_ADMIN_NAME, password } : undefined;
  }

  /** A new password for a stored user (config users change in the config file); false when there is no such user. */
  async setStoredPassword(name: string, password: string): Promise<boolean> {
    if (this.source === 'config') return false;
    const hash = await hashPassword(password);
    return this.updateStored.run(hash, this.now(), name).changes === 1;
  }

  private storedSample(): PasswordHash | undefined {
    const row = this.db.prepare('SELECT password_hash AS h FROM users LIMIT 1').get() as { h: string } | undefined;
    try {
      return row ? parsePasswordHash(row.h) : undefined;
    } catch {
      return undefined;
    }
  }
}
