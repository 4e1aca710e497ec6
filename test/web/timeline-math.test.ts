/**
 * The timeline's pure arithmetic under a zone with daylight saving: Node
 * re-reads process.env.TZ when it is assigned, so Berlin applies to every
 * Date below (asserted first, so the test cannot pass in UTC by accident).
 */
process.env.TZ = 'Europe/Berlin';

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HOUR,
  MIN_VIEW_MS,
  MINUTE,
  addDays,
  centerView,
  dayBounds,
  formatClock,
  formatDay,
  layoutSpans,
  msToX,
  panView,
  parseDay,
  spanAtOrAfter,
  tickStepMinutes,
  ticks,
  xToMs,
  zoomView,
} from '../../web/src/timeline/time-math.js';

test('the zone really is Europe/Berlin (CET in winter, CEST in summer)', () => {
  assert.equal(new Date('2026-01-15T12:00:00Z').getTimezoneOffset(), -60);
  assert.equal(new Date('2026-07-15T12:00:00Z').getTimezoneOffset(), -120);
});

test('day bounds are local midnights: 23 h on 2026-03-29, 25 h on 2026-10-25, 24 h otherwise', () => {
  const spring = dayBounds('2026-03-29');
  assert.equal(new Date(spring.from).toISOString(), '2026-03-28T23:00:00.000Z');
  assert.equal(new Date(spring.to).toISOString(), '2026-03-29T22:00:00.000Z');
  assert.equal(spring.to - spring.from, 23 * HOUR);
  const autumn = dayBounds('2026-10-25');
  assert.equal(new Date(autumn.from).toISOString(), '2026-10-24T22:00:00.000Z');
  assert.equal(new Date(autumn.to).toISOString(), '2026-10-25T23:00:00.000Z');
  assert.equal(autumn.to - autumn.from, 25 * HOUR);
  const plain = dayBounds('2026-11-25');
  assert.equal(plain.to - plain.from, 24 * HOUR);
  // consecutive days tile time with no overlap or hole
  assert.equal(dayBounds('2026-03-28').to, spring.from);
  assert.equal(spring.to, dayBounds('2026-03-30').from);
  assert.equal(autumn.to, dayBounds('2026-10-26').from);
});

test('day strings: parse, format, step across month, year and DST edges', () => {
  assert.equal(parseDay('2026-02-29'), null);
  assert.equal(parseDay('2026-13-01'), null);
  assert.equal(parseDay('yesterday'), null);
  assert.equal(parseDay(null), null);
  assert.equal(parseDay('2028-02-29'), '2028-02-29');
  assert.equal(addDays('2026-03-28', 1), '2026-03-29');
  assert.equal(addDays('2026-03-29', 1), '2026-03-30');
  assert.equal(addDays('2026-10-25', -1), '2026-10-24');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(formatDay(dayBounds('2026-10-25').to - 1), '2026-10-25');
  assert.equal(formatDay(dayBounds('2026-10-25').to), '2026-10-26');
});

test('hour ticks follow the local clock: 02:00 is missing on the spring day and twice on the autumn day', () => {
  // 2400 px for a day: labels every hour, minor marks every 15 minutes
  const labels = (day: string) => ticks(dayBounds(day), 2400).filter((t) => t.label !== null);
  const hourLabels = (day: string) => labels(day).map((t) => t.label);
  assert.equal(tickStepMinutes(dayBounds('2026-10-25'), 2400), 60);
  assert.equal(ticks(dayBounds('2026-11-25'), 2400).length, 24 * 4);
  const spring = hourLabels('2026-03-29');
  assert.equal(spring.length, 23);
  assert.ok(!spring.includes('02:00'));
  assert.deepEqual(spring.slice(0, 4), ['00:00', '01:00', '03:00', '04:00']);
  const autumn = hourLabels('2026-10-25');
  assert.equal(autumn.length, 25);
  assert.deepEqual(autumn.slice(0, 5), ['00:00', '01:00', '02:00', '02:00', '03:00']);
  assert.equal(autumn.filter((l) => l === '02:00').length, 2);
  // each tick is at a local hour, one real hour after the previous one
  const ts = labels('2026-10-25').map((t) => t.t);
  for (let i = 1; i < ts.length; i++) assert.equal(ts[i] - ts[i - 1], HOUR);
  // a narrow bar labels every 6 hours (local): 00, 06, 12, 18
  assert.deepEqual(
    ticks(dayBounds('2026-03-29'), 300).filter((t) => t.label).map((t) => t.label),
    ['00:00', '06:00', '12:00', '18:00'],
  );
});

test('tick spacing keeps labels apart as the view zooms', () => {
  const day = dayBounds('2026-11-25');
  assert.equal(tickStepMinutes(day, 1200), 120);
  assert.equal(tickStepMinutes(day, 2400), 60);
  assert.equal(tickStepMinutes(day, 4800), 30);
  const fiveMin = { from: day.from + 10 * HOUR, to: day.from + 10 * HOUR + 5 * MINUTE };
  assert.equal(tickStepMinutes(fiveMin, 1200), 1);
  const labelled = ticks(fiveMin, 1200).filter((t) => t.label);
  assert.deepEqual(labelled.map((t) => t.label), ['10:00', '10:01', '10:02', '10:03', '10:04']);
  for (const t of ticks(day, 1200)) assert.ok(t.t >= day.from && t.t < day.to);
});

test('zoom keeps the anchor under the pointer, stays within 5 min .. the day, and pan stops at the edges', () => {
  const day = dayBounds('2026-10-25');
  const anchor = day.from + 7 * HOUR;
  const z = zoomView(day, 0.5, anchor, day);
  assert.equal(z.to - z.from, (25 * HOUR) / 2);
  // the anchor's fraction of the bar is unchanged
  assert.ok(Math.abs((anchor - z.from) / (z.to - z.from) - (anchor - day.from) / (day.to - day.from)) < 1e-9);
  let v = z;
  for (let i = 0; i < 50; i++) v = zoomView(v, 0.5, anchor, day);
  assert.equal(v.to - v.from, MIN_VIEW_MS);
  assert.ok(v.from <= anchor && anchor <= v.to);
  for (let i = 0; i < 50; i++) v = zoomView(v, 2, anchor, day);
  assert.deepEqual(v, day);
  const small = zoomView(day, 0.01, day.from, day);
  assert.equal(small.from, day.from);
  const left = panView(small, -HOUR, day);
  assert.equal(left.from, day.from);
  const right = panView(small, 100 * HOUR, day);
  assert.equal(right.to, day.to);
  assert.equal(right.to - right.from, small.to - small.from);
  const c = centerView(small, day.from + 12 * HOUR, day);
  assert.equal((c.from + c.to) / 2, day.from + 12 * HOUR);
});

test('pixels and times convert both ways; spans are laid out clipped and at least 1 px wide', () => {
  const view = { from: 1_000_000, to: 1_000_000 + HOUR };
  assert.equal(msToX(view.from + HOUR / 4, view, 800), 200);
  assert.equal(xToMs(200, view, 800), view.from + HOUR / 4);
  const spans = [
    { from: view.from - HOUR, to: view.from - 1 }, // before: hidden
    { from: view.from - MINUTE, to: view.from + HOUR / 2 }, // clipped on the left
    { from: view.from + (3 * HOUR) / 4, to: view.from + (3 * HOUR) / 4 + 100 }, // 100 ms: 1 px
    { from: view.to - MINUTE, to: view.to + HOUR }, // clipped on the right
  ];
  const boxes = layoutSpans(spans, view, 800);
  assert.equal(boxes.length, 3);
  assert.deepEqual(boxes[0], { left: 0, width: 400 });
  assert.deepEqual(boxes[1], { left: 600, width: 1 });
  assert.ok(Math.abs(boxes[2].left - (800 - 800 / 60)) < 1e-9);
  assert.ok(Math.abs(boxes[2].left + boxes[2].width - 800) < 1e-9);
  assert.equal(spanAtOrAfter(spans, view.from)?.from, view.from - MINUTE);
  assert.equal(spanAtOrAfter(spans, view.from + 0.6 * HOUR), spans[2]);
  assert.equal(spanAtOrAfter(spans, view.to + 2 * HOUR), null);
});

test('clock labels are local', () => {
  assert.equal(formatClock(Date.parse('2026-10-25T00:30:00Z')), '02:30'); // CEST, the first 02:30
  assert.equal(formatClock(Date.parse('2026-10-25T01:30:00Z')), '02:30'); // CET, the second
  assert.equal(formatClock(Date.parse('2026-03-29T01:00:05Z'), true), '03:00:05');
});
