import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { MigrationError, listMigrations, migrate } from '../../src/storage/migrate.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SNAPSHOT = new URL('../fixtures/schema.sql', import.meta.url);

let dbCount = 0;
function freshDb(): Db {
  return openDatabase(join(dir, `db-${++dbCount}.sqlite`));
}

/** The schema as SQLite stores it, in a stable order: what the snapshot holds. */
function schemaText(db: Db): string {
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
    .all() as { type: string; name: string; sql: string }[];
  return rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql};\n`).join('\n');
}

/** A migrations folder of our own, for the failure cases. */
function migrationsDir(files: Record<string, string>): string {
  const d = join(dir, `migrations-${++dbCount}`);
  mkdirSync(d);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(d, name), sql);
  return d;
}

describe('migrate', () => {
  test('all migrations on a fresh db give the snapshot schema (UPDATE_SNAPSHOTS=1 rewrites it)', () => {
    const db = freshDb();
    const result = migrate(db, { now: () => 1_700_000_000_000 });
    assert.deepEqual(
      result.applied.map((m) => m.version),
      listMigrations().map((m) => m.version),
    );
    const actual = schemaText(db);
    if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, actual);
    assert.equal(actual, readFileSync(SNAPSHOT, 'utf8'));
    const rows = db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    assert.deepEqual(rows[0], { version: 1, name: 'init', applied_at: 1_700_000_000_000 });
    db.close();
  });

  test('re-running applies nothing and leaves the schema alone', () => {
    const db = freshDb();
    migrate(db);
    const before = schemaText(db);
    const again = migrate(db);
    assert.deepEqual(again.applied, []);
    assert.equal(again.version, listMigrations().length);
    assert.equal(schemaText(db), before);
    db.close();
  });

  test('refuses a db with a newer schema version than the code knows', () => {
    const db = freshDb();
    migrate(db);
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'from_the_future', 0)").run();
    assert.throws(() => migrate(db), (err: unknown) => {
      assert.ok(err instanceof MigrationError);
      assert.match(err.message, new RegExp(`is at schema version 99 \\(from_the_future\\) but this program knows only up to ${listMigrations().length}`));
      return true;
    });
    db.close();
  });

  test('refuses when a recorded migration file is missing or renamed', () => {
    const d = migrationsDir({ '0001_a.sql': 'CREATE TABLE a (x INTEGER);', '0002_b.sql': 'CREATE TABLE b (x INTEGER);' });
    const db = freshDb();
    assert.equal(migrate(db, { dir: d }).applied.length, 2);
    unlinkSync(join(d, '0001_a.sql'));
    assert.throws(() => migrate(db, { dir: d }), /records migration 0001_a\.sql, which is missing from/);
    writeFileSync(join(d, '0001_renamed.sql'), '');
    assert.throws(() => migrate(db, { dir: d }), /0001_a\.sql, which is missing .*found 0001_renamed\.sql instead/);
    db.close();
  });

  test('a failing migration rolls back entirely and stays pending', () => {
    const d = migrationsDir({
      '0001_a.sql': 'CREATE TABLE a (x INTEGER);',
      '0002_bad.sql': 'CREATE TABLE b (x INTEGER);\nINSERT INTO no_such_table VALUES (1);',
    });
    const db = freshDb();
    assert.throws(() => migrate(db, { dir: d }), /no such table: no_such_table/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    assert.deepEqual(tables, [{ name: 'a' }, { name: 'schema_migrations' }]);
    db.close();
  });

  test('rejects badly named files and numbering gaps', () => {
    assert.throws(() => listMigrations(migrationsDir({ '1_init.sql': '' })), /1_init\.sql .* is not named NNNN_name\.sql/);
    const gap = migrationsDir({ '0001_a.sql': '', '0003_c.sql': '' });
    const db = freshDb();
    assert.throws(() => migrate(db, { dir: gap }), /without gaps; 0003_c\.sql follows 0001/);
    db.close();
  });
});

describe('openDatabase', () => {
  test('sets WAL, synchronous=NORMAL, foreign keys and a busy timeout', () => {
    const db = freshDb();
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 1);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 100); // short: a wait blocks the event loop (src/storage/db.ts)
    db.close();
  });
});
