/**
 * Fault: the database is locked. Another connection (the sqlite3 shell, a
 * backup script) holds an exclusive write lock for longer than the busy
 * timeout while cameras record, and a camera starts publishing meanwhile.
 * Segment files keep growing, the process stays responsive, the index
 * catches up once the lock is gone, nothing crashes and one clear line says
 * what happened.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { DB_FILE_NAME } from '../../src/storage/storage.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor, type Run } from '../helpers/media-tools.js';
import { assertContinuous, assertFilesIntact, assertFootageKept, cheapPublisher, errorLines, rowsOf, sleep, snapshotFootage } from './fault-kit.js';

const LOCK_MS = 4000;
const cams = ['flvcam', 'mp4cam'];

let t: TestApp;
before(async () => {
  t = await startTestApp({
    log: { level: 'info' },
    recording: { indexIntervalMs: 1000 },
    cameras: [
      // motion writes thumbnails to the same database
      { id: 'flvcam', motion: { enabled: true }, recording: { format: 'flv', segmentSeconds: 2 } },
      { id: 'mp4cam', motion: { enabled: false }, recording: { format: 'mp4', segmentSeconds: 2 } },
      { id: 'latecam', motion: { enabled: false }, recording: { format: 'flv', segmentSeconds: 2 } },
    ],
  });
});
after(() => t.stop());

/** Bytes of every file under the recordings folder. */
function bytesOnDisk(dir = join(t.dataDir, 'recordings')): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? bytesOnDisk(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

/** Every segment file under the recordings folder, relative to dataDir. */
function filesOnDisk(dir = 'recordings'): string[] {
  return readdirSync(join(t.dataDir, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOnDisk(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

test('an exclusive lock held by another connection for 4 s: files keep growing, the index catches up, no crash', async (ctx) => {
  const pubs: Run[] = cams.map((c) => cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/${c}`, 60));
  let lock: Database.Database | undefined;
  try {
    await waitFor(() => cams.every((c) => rowsOf(t.app.storage.segments, c).some((r) => r.state === 'closed')), 'recording', 15_000);
    const written = snapshotFootage(t.dataDir, cams.flatMap((c) => rowsOf(t.app.storage.segments, c)));

    lock = new Database(join(t.dataDir, DB_FILE_NAME));
    lock.exec('BEGIN EXCLUSIVE');
    const lockedAt = Date.now();
    const bytesAtLock = bytesOnDisk();
    // a camera that starts publishing while the database is locked
    pubs.push(cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/latecam`, 60));
    let slowest = 0;
    while (Date.now() - lockedAt < LOCK_MS) {
      const s = Date.now();
      const res = await fetch(`http://127.0.0.1:${t.httpPort}/api/health`);
      await res.arrayBuffer();
      slowest = Math.max(slowest, Date.now() - s);
      await sleep(200);
    }
    const bytesAtUnlock = bytesOnDisk();
    lock.exec('ROLLBACK');
    lock.close();
    lock = undefined;
    const unlockedAt = Date.now();
    ctx.diagnostic(`during the lock: ${((bytesAtUnlock - bytesAtLock) / 1024).toFixed(0)} KiB written, slowest health check ${slowest} ms`);

    // the recordings kept being written, and the process kept answering
    assert.ok(bytesAtUnlock - bytesAtLock > 20_000, `${bytesAtUnlock - bytesAtLock} bytes written during the lock`);
    assert.ok(slowest < 2000, `the HTTP API stalled ${slowest} ms during the lock`);
    assert.ok(t.app.hub.list().find((c) => c.id === 'latecam')!.live, 'a camera could start publishing during the lock');

    // the index catches up: rows for what was opened during the lock, progress brought up to date
    await waitFor(() => rowsOf(t.app.storage.segments, 'latecam').length > 0, 'latecam indexed', 5000);
    await sleep(2500);
    const stoppedAt = Date.now();
    for (const p of pubs) p.proc.kill('SIGTERM');
    await Promise.all(pubs.map((p) => p.exited));
    const rows = await waitFor(() => {
      const r = [...cams, 'latecam'].flatMap((c) => rowsOf(t.app.storage.segments, c));
      return r.every((x) => x.state === 'closed') ? r : null;
    }, 'every row closed');
    for (const c of cams) assertContinuous(rows.filter((r) => r.cameraId === c), c, { fromMs: lockedAt - 1000, toMs: stoppedAt - 500 });
    const late = rows.filter((r) => r.cameraId === 'latecam');
    assertContinuous(late, 'latecam');
    assert.ok(late[0].startMs < unlockedAt - 2000, 'latecam recorded from before the lock was released');
    await assertFilesIntact(t.dataDir, rows, 'recordings');
    assertFootageKept(t.dataDir, t.app.storage.segments, written, 'before the lock');
    // no file the index does not know, and no row without its file
    const indexed = new Set(rows.map((r) => r.path));
    assert.deepEqual(filesOnDisk().filter((f) => !indexed.has(f)), [], 'files without a row');

    // what the operator sees: one warning when writes start waiting, one line when the index has caught up
    const busy = t.logs.filter((l) => l.msg === 'database busy: index writes deferred, recording goes on');
    assert.ok(busy.length >= 1 && busy.length <= cams.length + 1, `${busy.length} "database busy" lines (one per recorder)`);
    assert.ok(t.logs.some((l) => l.msg === 'index caught up after the database was busy'));
    const errors = errorLines(t.logs);
    ctx.diagnostic(`warnings and errors: ${JSON.stringify(t.logs.filter((l) => (l.level as number) >= 40).map((l) => `${l.camera ?? l.module}: ${l.msg}`))}`);
    assert.deepEqual(errors.filter((m) => /recorder error|could not open a segment file|closing RTMP connection/.test(m)), [], 'no recorder or ingest failure');
  } finally {
    lock?.close();
    for (const p of pubs) p.proc.kill('SIGKILL');
  }
});

