import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NvrError } from '../errors.js';
import { packageRoot } from '../config/package-root.js';
import type { Db } from './db.js';

/** The database and the code disagree about the schema; start-up must stop. */
export class MigrationError extends NvrError {
  constructor(message: string) {
    super('DB_MIGRATION', message);
    this.name = 'MigrationError';
  }
}

export interface Migration {
  version: number;
  name: string;
  file: string;
}

export interface MigrateOptions {
  /** Folder of NNNN_name.sql files; default: the package's migrations/. */
  dir?: string;
  /** Clock for applied_at (ms UTC). */
  now?: () => number;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function defaultMigrationsDir(): string {
  return join(packageRoot(), 'migrations');
}

/** The migration files in version order. */
export function listMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.endsWith('.sql')) continue;
    const m = FILE_PATTERN.exec(entry);
    if (!m) throw new MigrationError(`migration file ${entry} in ${dir} is not named NNNN_name.sql`);
    out.push({ version: Number(m[1]), name: m[2]!, file: join(dir, entry) });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) {
      throw new MigrationError(`two migration files in ${dir} share version ${pad(out[i]!.version)}`);
    }
  }
  return out;
}

/**
 * Brings the schema up to date: each pending migration runs in its own
 * transaction together with its schema_migrations row, so a failure leaves
 * the database at the previous version. Refuses a database that has seen
 * migrations this code does not have (newer version, or a file removed).
 */
export function migrate(db: Db, options: MigrateOptions = {}): { applied: Migration[]; version: number } {
  const known = listMigrations(options.dir);
  const now = options.now ?? Date.now;
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,  -- the NNNN of migrations/NNNN_name.sql
  name        TEXT    NOT NULL,     -- the name part of the file name
  applied_at  INTEGER NOT NULL      -- ms UTC when it was applied
) STRICT`);

  const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
  }[];
  const dir = options.dir ?? defaultMigrationsDir();
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const newest = known.at(-1)?.version ?? 0;
  const latest = recorded.at(-1);
  if (latest && latest.version > newest) {
    throw new MigrationError(
      `database ${db.name} is at schema version ${latest.version} (${latest.name}) but this program knows only up to ${newest}; ` +
        'run the newer NVR release that wrote it, or use another dataDir',
    );
  }
  for (const row of recorded) {
    const mig = byVersion.get(row.version);
    if (!mig || mig.name !== row.name) {
      throw new MigrationError(
        `database ${db.name} records migration ${pad(row.version)}_${row.name}.sql, which is missing from ${dir}` +
          (mig ? ` (found ${entry(mig)} instead)` : ''),
      );
    }
  }
  // Checked after the records so a deleted, already-applied file is reported as such.
  known.forEach((mig, i) => {
    if (mig.version !== i + 1) {
      throw new MigrationError(`migrations in ${dir} must be numbered 0001, 0002, ... without gaps; ${entry(mig)} follows ${pad(i)}`);
    }
  });

  const done = new Set(recorded.map((r) => r.version));
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: Migration[] = [];
  for (const mig of known) {
    if (done.has(mig.version)) continue;
    const sql = readFileSync(mig.file, 'utf8');
    // IMMEDIATE takes the write lock first, so two processes starting on the
    // same file cannot both apply a migration; the loser sees it recorded.
    const ran = db
      .transaction(() => {
        if (isApplied.get(mig.version)) return false;
        db.exec(sql);
        record.run(mig.version, mig.name, now());
        return true;
      })
      .immediate();
    if (ran) applied.push(mig);
  }
  return { applied, version: newest };
}

function pad(version: number): string {
  return String(version).padStart(4, '0');
}

function entry(mig: Migration): string {
  return `${pad(mig.version)}_${mig.name}.sql`;
}
