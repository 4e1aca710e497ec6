import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventSpans } from '../../src/retention/event-spans.js';
import { noEvents } from '../../src/retention/event-spans.js';
import { byteNeeds, floorBytes, MIN_FLOOR_BYTES, planPage, volumeBudget, type PlanRow, type WalkContext } from '../../src/retention/planner.js';
import { DAY_MS, type RetentionRules } from '../../src/retention/rules.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;
const MiB = 2 ** 20;

function rules(cameras: Record<string, { days: number; eventDays: number; maxBytes?: number }>, volume: Partial<RetentionRules['volume']> = {}): RetentionRules {
  return { cameras: new Map(Object.entries(cameras)), fallback: { days: 14, eventDays: 60 }, volume: { minFreeBytes: 0, minFreePercent: 0, ...volume } };
}

/** Hour-long segments of one camera, oldest first, ending `ageHours` before NOW. */
function rows(cameraId: string, agesHours: number[], bytes = 100): PlanRow[] {
  return agesHours.map((age, i) => ({ id: i + 1, cameraId, startMs: NOW - (age + 1) * HOUR, endMs: NOW - age * HOUR, bytes, state: 'closed' as const }));
}

/** A fake event index: events are [start, end) spans per camera. */
function events(spans: Record<string, [number, number][]>): EventSpans & { calls: number } {
  const fake = {
    calls: 0,
    overlaps(cameraId: string, startMs: number, endMs: number): boolean {
      fake.calls++;
      return (spans[cameraId] ?? []).some(([s, e]) => s < endMs && e > startMs);
    },
  };
  return fake;
}

const ctx = (r: RetentionRules, over: Partial<WalkContext> = {}): WalkContext => ({ now: NOW, rules: r, events: noEvents, need: 0, tier: 'unprotected', age: true, ...over });
const ids = (rs: PlanRow[]) => rs.map((r) => r.id);

describe('age rules', () => {
  test('segments that ended more than `days` ago go; younger ones stay, and the walk stops at the first young one', () => {
    const r = rules({ cam: { days: 2, eventDays: 5 } });
    const page = rows('cam', [24 * 4, 24 * 3, 24 * 2 + 1, 24 * 2, 24 * 2 - 1, 5, 1]);
    const plan = planPage(page, ctx(r));
    assert.deepEqual(ids(plan.remove), [1, 2, 3, 4]); // ended exactly 2 days ago: past its age
    assert.equal(plan.done, true);
  });

  test('segments overlapping an event stay for eventDays; past eventDays they go too', () => {
    const r = rules({ cam: { days: 2, eventDays: 5 } });
    const page = rows('cam', [24 * 6, 24 * 4, 24 * 3, 24 * 3 - 5]);
    // an event across the 6-day-old segment (past eventDays) and one across the 4-day-old one
    const ev = events({ cam: [[page[0].startMs + 10, page[0].startMs + 20], [page[1].endMs - 10, page[1].endMs + 5]] });
    const plan = planPage(page, ctx(r, { events: ev }));
    assert.deepEqual(ids(plan.remove), [1, 3, 4]);
  });

  test('the event index is asked only about segments between the two ages', () => {
    const r = rules({ cam: { days: 2, eventDays: 5 } });
    const ev = events({});
    planPage(rows('cam', [24 * 9, 24 * 8, 24 * 4, 24 * 3, 10, 5]), ctx(r, { events: ev }));
    assert.equal(ev.calls, 2);
  });

  test('eventDays shorter than days never shortens the life of event footage', () => {
    const r = rules({ cam: { days: 5, eventDays: 2 } });
    const page = rows('cam', [24 * 3]);
    const plan = planPage(page, ctx(r, { events: events({ cam: [[0, NOW]] }) }));
    assert.deepEqual(plan.remove, []);
  });

  test('a segment still being written is never deleted; rows flagged missing are left to the index check', () => {
    const r = rules({ cam: { days: 1, eventDays: 1 } });
    const page = rows('cam', [24 * 30, 24 * 20, 24 * 10]);
    page[0].state = 'open';
    page[1].state = 'missing';
    const plan = planPage(page, ctx(r, { need: 10_000 }));
    assert.deepEqual(ids(plan.remove), [3]);
    const protectedTier = planPage(page, ctx(r, { need: 10_000, tier: 'protected', age: false }));
    assert.deepEqual(ids(protectedTier.remove), [3]);
  });

  test('cameras no longer in the config keep the default 14 / 60 days', () => {
    const r = rules({});
    const plan = planPage(rows('gone', [24 * 15, 24 * 13]), ctx(r));
    assert.deepEqual(ids(plan.remove), [1]);
  });
});

describe('byte rules', () => {
  test('over a budget: the oldest footage goes first, skipping event footage, until the need is met', () => {
    const r = rules({ cam: { days: 30, eventDays: 60, maxBytes: 300 } });
    const page = rows('cam', [10, 9, 8, 7, 6, 5, 4]);
    const ev = events({ cam: [[page[1].startMs, page[1].endMs]] });
    const plan = planPage(page, ctx(r, { events: ev, need: 250 }));
    assert.deepEqual(ids(plan.remove), [1, 3, 4]);
    assert.equal(plan.need, -50);
    assert.equal(plan.done, true);
  });

  test('when unprotected footage is not enough, the protected walk takes the oldest of what is left', () => {
    const r = rules({ cam: { days: 30, eventDays: 60 } });
    const page = rows('cam', [10, 9, 8]);
    const ev = events({ cam: [[0, NOW]] }); // everything overlaps an event
    const first = planPage(page, ctx(r, { events: ev, need: 150 }));
    assert.deepEqual(first.remove, []);
    assert.equal(first.need, 150);
    const second = planPage(page, ctx(r, { events: ev, need: first.need, tier: 'protected', age: false }));
    assert.deepEqual(ids(second.remove), [1, 2]);
  });

  test('byteNeeds: per-camera budgets, the volume budget and the floor', () => {
    const r = rules({ a: { days: 1, eventDays: 1, maxBytes: 1000 }, b: { days: 1, eventDays: 1 } }, { maxBytes: 5000, minFreeBytes: 0, minFreePercent: 0 });
    const disk = { totalBytes: 100 * MiB, freeBytes: 50 * MiB };
    const usage = new Map([
      ['a', 1500],
      ['b', 4000],
    ]);
    const n = byteNeeds(r, usage, disk);
    assert.deepEqual([...n.cameras], [['a', 500]]);
    assert.equal(n.volume, 500);
    // the floor asks more than the budget: the larger need wins
    const low = byteNeeds(rules({}, { minFreeBytes: 60 * MiB }), usage, disk);
    assert.equal(low.volume, 10 * MiB);
  });

  test('floor and budget in bytes or as a share of the volume; the floor has a minimum', () => {
    const disk = { totalBytes: 1000 * MiB, freeBytes: 0 };
    assert.equal(floorBytes({ minFreeBytes: 10 * MiB, minFreePercent: 5 }, disk), 50 * MiB);
    assert.equal(floorBytes({ minFreeBytes: 100 * MiB, minFreePercent: 5 }, disk), 100 * MiB);
    assert.equal(floorBytes({ minFreeBytes: 0, minFreePercent: 0 }, disk), MIN_FLOOR_BYTES);
    assert.equal(volumeBudget({ minFreeBytes: 0, minFreePercent: 0 }, disk), null);
    assert.equal(volumeBudget({ maxBytes: 300 * MiB, maxPercent: 20, minFreeBytes: 0, minFreePercent: 0 }, disk), 200 * MiB);
    assert.equal(volumeBudget({ maxPercent: 50, minFreeBytes: 0, minFreePercent: 0 }, disk), 500 * MiB);
  });
});

test('the volume walk (no age rules) stops as soon as the need is met', () => {
  const r = rules({ a: { days: 1, eventDays: 1 } });
  const page = rows('a', [5, 4, 3, 2]);
  const plan = planPage(page, ctx(r, { need: 150, age: false }));
  assert.deepEqual(ids(plan.remove), [1, 2]);
  assert.equal(plan.done, true);
  assert.deepEqual(planPage(page, ctx(r, { need: 0, age: false })), { remove: [], need: 0, done: true });
});

test('the age cut-off is per row: exactly `days` old counts as past', () => {
  const r = rules({ cam: { days: 1, eventDays: 1 } });
  const row: PlanRow = { id: 1, cameraId: 'cam', startMs: NOW - DAY_MS - 1000, endMs: NOW - DAY_MS, bytes: 1, state: 'closed' };
  assert.equal(planPage([row], ctx(r)).remove.length, 1);
  assert.equal(planPage([{ ...row, endMs: NOW - DAY_MS + 1 }], ctx(r)).remove.length, 0);
});
