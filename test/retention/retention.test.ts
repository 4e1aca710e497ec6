import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { segmentPath } from '../../src/recording/segment-path.js';
import { DiskGate } from '../../src/retention/disk-gate.js';
import type { EventSpans } from '../../src/retention/event-spans.js';
import { Retention, type Alert, type RetentionOptions } from '../../src/retention/retention.js';
import { DAY_MS, type CameraRule, type RetentionRules } from '../../src/retention/rules.js';
import { addSegment, fakeVolume, filesOnDisk, indexRows, makeStore, silent, type Store } from './fixture.js';

const HOUR = 3_600_000;
const MiB = 2 ** 20;
const T0 = Date.UTC(2026, 10, 25);

let store: Store;
beforeEach(() => {
  store = makeStore();
});
afterEach(() => store.close());

function rules(cameras: Record<string, CameraRule>, volume: Partial<RetentionRules['volume']> = {}): RetentionRules {
  return { cameras: new Map(Object.entries(cameras)), fallback: { days: 14, eventDays: 60 }, volume: { minFreeBytes: 0, minFreePercent: 0, ...volume } };
}

/** Retention on a huge pretend disk unless a probe is given; never started (no cron, no timer): tests drive it. */
function retention(over: Partial<RetentionOptions> & { rules: RetentionRules }): Retention {
  return new Retention({
    dataDir: store.dataDir,
    segments: store.segments,
    schedule: '*/10 * * * *',
    gate: new DiskGate(),
    log: silent,
    probe: async () => ({ totalBytes: 2 ** 50, freeBytes: 2 ** 49 }),
    orphanGraceMs: 60_000,
    ...over,
  });
}

/** The index and the files agree: every row's file exists and every file has a row. */
function assertIndexMatchesFiles(): void {
  const rows = indexRows(store.db);
  assert.deepEqual(rows.map((r) => r.path).sort(), filesOnDisk(store.dataDir));
}

/** Hour-long segments for `days` days before `end`. */
function hours(cameraId: string, end: number, days: number, bytes = 100): void {
  for (let t = end - days * DAY_MS; t < end; t += HOUR) addSegment(store, { cameraId, startMs: t, durationMs: HOUR, bytes });
}

const oldestAge = (cameraId: string, now: number) => (now - Math.min(...indexRows(store.db).filter((r) => r.cameraId === cameraId).map((r) => r.endMs))) / DAY_MS;

test('an injected clock moves days forward: footage past `days` goes, event footage stays for eventDays', async () => {
  hours('a', T0, 10);
  hours('b', T0, 10);
  const eventAt = T0 - 5 * DAY_MS + 30 * 60_000; // one event, inside a 5-day-old hour of camera a
  const events: EventSpans = { overlaps: (cam, s, e) => cam === 'a' && s < eventAt + 60_000 && e > eventAt };
  let now = T0;
  const r = retention({ rules: rules({ a: { days: 3, eventDays: 7 }, b: { days: 1, eventDays: 2 } }), events, now: () => now });

  const first = await r.runPass();
  const rowsA = indexRows(store.db).filter((x) => x.cameraId === 'a');
  assert.equal(rowsA.length, 3 * 24 + 1, 'three days of a, plus the hour with the event');
  assert.ok(rowsA.some((x) => x.startMs <= eventAt && x.endMs > eventAt), 'the event hour stays');
  assert.equal(indexRows(store.db).filter((x) => x.cameraId === 'b').length, 24);
  assert.equal(first.deleted, 10 * 48 - (3 * 24 + 1) - 24);
  assertIndexMatchesFiles();

  now += 2 * DAY_MS + HOUR; // the event hour is now 7 days and an hour old
  const second = await r.runPass();
  assert.ok(indexRows(store.db).every((x) => x.endMs > now - 3 * DAY_MS || x.cameraId !== 'a'));
  assert.ok(!indexRows(store.db).some((x) => x.startMs <= eventAt && x.endMs > eventAt), 'past eventDays, the event hour goes too');
  assert.ok(oldestAge('a', now) < 3);
  assert.equal(indexRows(store.db).filter((x) => x.cameraId === 'b').length, 0, 'b has recorded nothing for over a day');
  assert.ok(second.deleted > 0);
  assertIndexMatchesFiles();
});

test("a camera's byte budget holds under continuous recording; the segment being written is never deleted", async () => {
  let now = T0;
  const r = retention({ rules: rules({ a: { days: 30, eventDays: 30, maxBytes: 10_000 }, b: { days: 30, eventDays: 30 } }), now: () => now });
  let open: { id: number } | null = null;
  for (let i = 0; i < 120; i++) {
    // the recorder: the open segment closes, the next one opens
    if (open) store.segments.close(open.id, { endMs: now, bytes: 1000, frames: 1, keyframes: Buffer.alloc(0), reason: 'duration' });
    open = addSegment(store, { cameraId: 'a', startMs: now, durationMs: 0, bytes: 1000, state: 'open' });
    addSegment(store, { cameraId: 'b', startMs: now, durationMs: 60_000, bytes: 1000 });
    now += 60_000;
    if (i % 5 === 4) {
      await r.runPass();
      assert.ok(store.segments.usage('a').bytes <= 10_000, `a holds ${store.segments.usage('a').bytes} bytes`);
      assert.equal(store.segments.get(open.id)?.state, 'open', 'the open segment stays');
    }
  }
  assert.equal(store.segments.usage('b').segments, 120, 'b has no budget: nothing of it goes');
  assertIndexMatchesFiles();
});

test('the volume budget deletes the oldest footage across cameras first', async () => {
  for (let i = 0; i < 10; i++) {
    addSegment(store, { cameraId: 'a', startMs: T0 + i * 2 * HOUR, durationMs: HOUR, bytes: 1000 });
    addSegment(store, { cameraId: 'b', startMs: T0 + (i * 2 + 1) * HOUR, durationMs: HOUR, bytes: 1000 });
  }
  const r = retention({ rules: rules({ a: { days: 30, eventDays: 30 }, b: { days: 30, eventDays: 30 } }, { maxBytes: 5500 }), now: () => T0 + DAY_MS });
  await r.runPass();
  const left = indexRows(store.db);
  assert.equal(left.length, 5);
  assert.deepEqual(
    left.map((x) => x.startMs),
    [15, 16, 17, 18, 19].map((h) => T0 + h * HOUR),
  );
  assertIndexMatchesFiles();
});

describe('the free-space floor', () => {
  test('below it the oldest footage goes at once; event footage last; with nothing left recording pauses, and resumes when space comes back', async () => {
    const volume = fakeVolume(store.dataDir, 40 * MiB);
    const gate = new DiskGate();
    const alerts: [Alert, boolean][] = [];
    const eventSeg = addSegment(store, { cameraId: 'a', startMs: T0, durationMs: HOUR, bytes: MiB });
    for (let i = 1; i < 30; i++) addSegment(store, { cameraId: i % 2 ? 'b' : 'a', startMs: T0 + i * HOUR, durationMs: HOUR, bytes: MiB });
    const events: EventSpans = { overlaps: (cam, s) => cam === 'a' && s === T0 };
    const r = retention({
      rules: rules({ a: { days: 30, eventDays: 30 }, b: { days: 30, eventDays: 30 } }, { minFreeBytes: 8 * MiB }),
      probe: volume.probe,
      gate,
      events,
      now: () => T0 + DAY_MS,
      onAlert: (a, active) => alerts.push([a, active]),
    });
    await r.checkFloor();
    assert.equal(indexRows(store.db).length, 30, 'above the floor: nothing goes');

    volume.otherBytes = 4 * MiB; // free: 40 - 30 - 4 = 6 MiB, 2 below the floor
    await r.checkFloor();
    const rows = indexRows(store.db);
    assert.equal(rows.length, 28);
    assert.equal(rows[0].id, eventSeg.id, 'the event segment is skipped while others can go');
    assert.equal(rows[1].startMs, T0 + 3 * HOUR);
    assert.equal(gate.writable, true);

    const open = addSegment(store, { cameraId: 'b', startMs: T0 + 40 * HOUR, durationMs: 0, bytes: MiB, state: 'open' });
    volume.otherBytes = 36 * MiB; // something else fills the disk
    await r.checkFloor();
    assert.deepEqual(
      indexRows(store.db).map((x) => x.id),
      [open.id],
      'everything but the segment being written went, the event segment last',
    );
    assert.equal(gate.writable, false, 'recording paused');
    assert.equal(r.paused, true);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0][0].code, 'RECORDING_PAUSED');
    assert.equal(alerts[0][1], true);
    assert.equal((await r.status()).alerts.length, 1);

    volume.otherBytes = 0;
    await r.checkFloor();
    assert.equal(gate.writable, true, 'recording resumed');
    assert.deepEqual(alerts[1], [alerts[0][0], false]);
    assert.equal((await r.status()).alerts.length, 0);
    assertIndexMatchesFiles();
  });

  test('a recorder asking (segment open, write error) gets a floor check without waiting for the schedule', async () => {
    const volume = fakeVolume(store.dataDir, 20 * MiB);
    for (let i = 0; i < 10; i++) addSegment(store, { cameraId: 'a', startMs: T0 + i * HOUR, durationMs: HOUR, bytes: MiB });
    const gate = new DiskGate();
    const r = retention({ rules: rules({ a: { days: 30, eventDays: 30 } }, { minFreeBytes: 12 * MiB }), probe: volume.probe, gate, now: () => T0 + DAY_MS });
    r.start();
    try {
      await new Promise((res) => setTimeout(res, 50)); // the check at start
      assert.equal(indexRows(store.db).length, 8);
      volume.otherBytes = 3 * MiB;
      const err = Object.assign(new Error('no space'), { code: 'ENOSPC' });
      gate.check('write-error', err);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(indexRows(store.db).length, 5);
    } finally {
      await r.stop();
    }
  });
});

test('the index check: rows whose file is gone, and files no row knows, go in one pass', async () => {
  const gone = addSegment(store, { cameraId: 'a', startMs: T0, durationMs: HOUR, bytes: 10 });
  const flagged = addSegment(store, { cameraId: 'a', startMs: T0 + HOUR, durationMs: HOUR, bytes: 10 });
  const kept = addSegment(store, { cameraId: 'a', startMs: T0 + 2 * HOUR, durationMs: HOUR, bytes: 10 });
  const openNoFile = addSegment(store, { cameraId: 'b', startMs: T0, durationMs: 0, bytes: 10, state: 'open' });
  const { rmSync } = await import('node:fs');
  rmSync(join(store.dataDir, gone.path));
  rmSync(join(store.dataDir, openNoFile.path));
  store.segments.markMissing(flagged.id);
  // a folder with no rows left: an old orphan, a fresh one, and a file that is not a segment
  const orphan = segmentPath('c', T0 - 5 * DAY_MS, 'flv');
  const fresh = segmentPath('c', T0 - 5 * DAY_MS + 1000, 'flv');
  mkdirSync(join(store.dataDir, orphan, '..'), { recursive: true });
  for (const p of [orphan, fresh]) writeFileSync(join(store.dataDir, p), 'x');
  const old = (Date.now() - 3600_000) / 1000;
  utimesSync(join(store.dataDir, orphan), old, old);
  writeFileSync(join(store.dataDir, orphan, '..', 'notes.txt'), 'mine');

  const r = retention({ rules: rules({ a: { days: 30, eventDays: 30 }, b: { days: 30, eventDays: 30 } }), now: () => T0 + DAY_MS });
  const report = await r.runPass();
  assert.equal(report.missingRows, 2);
  assert.equal(report.orphanFiles, 1);
  assert.deepEqual(
    indexRows(store.db).map((x) => x.id),
    [openNoFile.id, kept.id],
    'the open row is the recorder’s: left alone',
  );
  assert.equal(existsSync(join(store.dataDir, orphan)), false);
  assert.equal(existsSync(join(store.dataDir, fresh)), true, 'a fresh file may be a row on its way');
  assert.equal(existsSync(join(store.dataDir, orphan, '..', 'notes.txt')), true, 'not a segment: not ours');
});

test('a row left open that no recorder writes (its close never committed) is finalised from its file', async () => {
  const stale = addSegment(store, { cameraId: 'a', startMs: T0, durationMs: 0, bytes: 0, state: 'open' });
  const clip = readFileSync(new URL('../fixtures/media/h264-aac-bframes.flv', import.meta.url));
  writeFileSync(join(store.dataDir, stale.path), Buffer.concat([clip, Buffer.from([9, 0, 0])])); // and a torn tail
  const empty = addSegment(store, { cameraId: 'a', startMs: T0 + HOUR, durationMs: 0, bytes: 0, state: 'open' });
  const live = addSegment(store, { cameraId: 'b', startMs: T0, durationMs: 0, bytes: 10, state: 'open' });
  const old = (Date.now() - 3600_000) / 1000;
  for (const p of [stale.path, empty.path]) utimesSync(join(store.dataDir, p), old, old);

  const report = await retention({ rules: rules({ a: { days: 30, eventDays: 30 }, b: { days: 30, eventDays: 30 } }), now: () => T0 + DAY_MS }).runPass();
  assert.equal(report.staleOpen, 2);
  const row = store.segments.get(stale.id)!;
  assert.equal(row.state, 'closed');
  assert.equal(row.endReason, 'stale-recovered');
  assert.equal(row.bytes, clip.length, 'the torn tail is cut');
  assert.ok(row.endMs > row.startMs && row.frames > 0);
  assert.equal(store.segments.get(empty.id), undefined, 'no frame in it: row and file go');
  assert.equal(store.segments.get(live.id)?.state, 'open', 'a file written just now is a recorder’s');
  assertIndexMatchesFiles();
});

test('old day folders left empty are removed', async () => {
  addSegment(store, { cameraId: 'a', startMs: T0 - 20 * DAY_MS, durationMs: HOUR, bytes: 10 });
  addSegment(store, { cameraId: 'a', startMs: T0 - HOUR, durationMs: HOUR, bytes: 10 });
  const r = retention({ rules: rules({ a: { days: 7, eventDays: 7 } }), now: () => T0 });
  await r.runPass();
  assert.deepEqual(filesOnDisk(store.dataDir), [segmentPath('a', T0 - HOUR, 'flv')]);
  assert.equal(existsSync(join(store.dataDir, segmentPath('a', T0 - 20 * DAY_MS, 'flv'), '..')), false);
});

test('status: bytes and oldest per camera, free space, write rate and when the disk fills', async () => {
  const now = T0 + HOUR;
  // camera a writes 1000 bytes per second for the last hour: 60 one-minute segments
  for (let t = T0; t < now; t += 60_000) addSegment(store, { cameraId: 'a', startMs: t, durationMs: 60_000, bytes: 60_000 });
  addSegment(store, { cameraId: 'gone', startMs: T0 - DAY_MS, durationMs: HOUR, bytes: 5 });
  const r = retention({
    rules: rules({ a: { days: 3, eventDays: 9, maxBytes: 10 ** 9 }, idle: { days: 1, eventDays: 1 } }, { maxPercent: 50, minFreeBytes: 10 * MiB }),
    probe: async () => ({ totalBytes: 1000 * MiB, freeBytes: 500 * MiB }),
    now: () => now,
  });
  const s = await r.status();
  assert.equal(s.bytes, 3_600_005);
  assert.equal(s.budgetBytes, 500 * MiB);
  assert.equal(s.disk.floorBytes, 10 * MiB);
  assert.equal(s.bytesPerSecond, 1000);
  assert.equal(s.fullAtMs, now + 500 * MiB);
  assert.deepEqual(
    s.cameras.map((c) => [c.id, c.configured, c.bytes, c.segments, c.oldestMs, c.bytesPerSecond]),
    [
      ['a', true, 3_600_000, 60, T0, 1000],
      ['idle', true, 0, 0, null, 0],
      ['gone', false, 5, 1, T0 - DAY_MS, 0],
    ],
  );
  assert.deepEqual(s.cameras[0].rule, { days: 3, eventDays: 9, maxBytes: 10 ** 9 });
  assert.equal(s.paused, false);
});
