import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventStore, MAX_EVENT_MS } from '../../src/events/event-store.js';
import { ThumbnailStore } from '../../src/motion/thumbnail-store.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function db() {
  const d = openDatabase(join(dir, `db-${++n}.sqlite`));
  migrate(d);
  return d;
}

const T = Date.UTC(2026, 10, 25, 14, 0, 0);
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

test('an event: start, peaks, end; listed by overlap with the range', () => {
  const s = new EventStore(db());
  const id = s.start({ cameraId: 'a', startMs: T, score: 2, zones: ['door'], snapshot: jpeg });
  assert.deepEqual(s.get(id), { id, cameraId: 'a', type: 'motion', startMs: T, endMs: null, peakScore: 2, peakMs: T, zones: ['door'], endReason: null, hasSnapshot: true });
  s.updatePeak(id, 5, T + 2000, ['door', 'path'], null);
  assert.equal(s.get(id)!.peakScore, 5);
  assert.deepEqual(s.snapshot(id), jpeg, 'a peak without a new picture keeps the snapshot');
  s.finish(id, T + 6000, 'quiet', ['door', 'path']);
  s.finish(id, T + 9000, 'shutdown', []);
  const e = s.get(id)!;
  assert.deepEqual([e.endMs, e.endReason, e.zones], [T + 6000, 'quiet', ['door', 'path']], 'the first end wins');

  const other = s.start({ cameraId: 'b', startMs: T + 10_000, score: 1, zones: [], snapshot: null });
  const q = (fromMs: number, toMs: number, cameraId?: string) => s.list({ cameraId, fromMs, toMs, limit: 100, order: 'asc' }).map((x) => x.id);
  assert.deepEqual(q(T - 1000, T + 20_000), [id, other]);
  assert.deepEqual(q(T + 5000, T + 5001), [id], 'overlapping the middle');
  assert.deepEqual(q(T + 6001, T + 10_000), [], 'between them');
  assert.deepEqual(q(T + 20_000, T + 30_000), [other], 'an ongoing event overlaps everything after its start');
  assert.deepEqual(q(T - 1000, T + 20_000, 'b'), [other]);
  assert.deepEqual(s.list({ fromMs: T - 1000, toMs: T + 20_000, limit: 1, order: 'desc' }).map((x) => x.id), [other]);
  assert.equal(s.get(other)!.hasSnapshot, false);
});

test('retention: overlaps() for footage, deleteBefore() for old events; start-up closes dangling ones', () => {
  const d = db();
  const s = new EventStore(d);
  const id = s.start({ cameraId: 'a', startMs: T, score: 2, zones: [], snapshot: null });
  s.updatePeak(id, 3, T + 4000, [], null);
  assert.equal(s.overlaps('a', T - 60_000, T - 1), false);
  assert.equal(s.overlaps('a', T + MAX_EVENT_MS, T + MAX_EVENT_MS + 1), true, 'ongoing');
  assert.equal(s.closeDangling(), 1);
  assert.deepEqual([s.get(id)!.endMs, s.get(id)!.endReason], [T + 4000, 'crash-recovered']);
  assert.equal(s.overlaps('a', T + 3000, T + 3500), true);
  assert.equal(s.overlaps('a', T + 4001, T + 9000), false);
  assert.equal(s.overlaps('b', T, T + 1000), false);
  assert.equal(s.deleteBefore('a', T), 0);
  assert.equal(s.deleteBefore('a', T + 1), 1);
});

test('thumbnails: nearest either side, latest, replace, prune', () => {
  const t = new ThumbnailStore(db());
  assert.equal(t.latest('a'), undefined);
  assert.equal(t.nearest('a', T), undefined);
  for (const at of [T, T + 2000, T + 4000]) t.add({ cameraId: 'a', atMs: at, width: 320, height: 180, jpeg });
  t.add({ cameraId: 'b', atMs: T + 100_000, width: 320, height: 180, jpeg });
  assert.equal(t.nearest('a', T + 900)!.atMs, T);
  assert.equal(t.nearest('a', T + 1000)!.atMs, T, 'a tie goes to the earlier');
  assert.equal(t.nearest('a', T + 1100)!.atMs, T + 2000);
  assert.equal(t.nearest('a', T - 50_000)!.atMs, T);
  assert.equal(t.nearest('a', T + 50_000)!.atMs, T + 4000);
  assert.equal(t.latest('a')!.atMs, T + 4000);
  t.add({ cameraId: 'a', atMs: T, width: 160, height: 90, jpeg });
  assert.equal(t.nearest('a', T)!.width, 160);
  assert.equal(t.deleteBefore('a', T + 3000), 2);
  assert.equal(t.latest('b')!.atMs, T + 100_000);
});
