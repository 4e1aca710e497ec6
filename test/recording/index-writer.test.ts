/**
 * The recorders' index writes while another connection holds the database's
 * write lock: kept in order, coalesced, retried at most once a second, and
 * all written once the lock is gone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { IndexWriter } from '../../src/recording/index-writer.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { Segments, type SegmentOpen } from '../../src/storage/segments.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-index-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const row = (startMs: number): SegmentOpen => ({ cameraId: 'cam', startMs, format: 'flv', path: `recordings/cam/${startMs}.flv`, videoCodec: null, audioCodec: null, width: null, height: null });
const progress = (endMs: number, bytes: number) => ({ endMs, bytes, frames: bytes / 10, keyframes: Buffer.alloc(0) });

test('writes refused by a locked database wait in order and land when it is released', () => {
  const file = join(dir, 'a.sqlite');
  const db = openDatabase(file);
  migrate(db);
  const segments = new Segments(db);
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  let now = 1000;
  const w = new IndexWriter(segments, log, () => now);

  const first = w.open(row(1000));
  assert.equal(typeof first.id, 'number', 'written at once when nothing holds the lock');

  const other = new Database(file);
  other.exec('BEGIN EXCLUSIVE');
  w.progress(first, progress(2000, 100));
  assert.equal(w.pending, 1);
  w.close(first, { ...progress(3000, 300), reason: 'duration' }); // replaces the waiting progress
  const second = w.open(row(3000));
  w.progress(second, progress(3500, 50));
  w.progress(second, progress(4000, 80));
  assert.equal(second.id, null, 'no id while the insert waits');
  assert.equal(w.pending, 3, 'close, open, one coalesced progress');
  assert.equal(lines.filter((l) => l.msg === 'database busy: index writes deferred, recording goes on').length, 1, 'logged once');

  now += 500;
  w.retry(); // too soon: not even tried
  assert.equal(w.pending, 3);
  now += 600;
  w.retry(); // tried, still locked
  assert.equal(w.pending, 3);

  other.exec('ROLLBACK');
  other.close();
  now += 1000;
  w.retry();
  assert.equal(w.pending, 0);
  assert.equal(typeof second.id, 'number');
  const a = segments.get(first.id!)!;
  assert.deepEqual([a.state, a.endMs, a.bytes, a.endReason], ['closed', 3000, 300, 'duration']);
  const b = segments.get(second.id!)!;
  assert.deepEqual([b.state, b.endMs, b.bytes], ['open', 4000, 80]);
  assert.ok(lines.some((l) => l.msg === 'index caught up after the database was busy'));

  // a segment that turned out empty while its insert waited leaves no row at all
  const lock2 = new Database(file);
  lock2.exec('BEGIN EXCLUSIVE');
  const third = w.open(row(5000));
  w.remove(third);
  assert.equal(w.pending, 0);
  lock2.exec('ROLLBACK');
  lock2.close();
  assert.equal(segments.getByPath('recordings/cam/5000.flv'), undefined);
  db.close();
});
