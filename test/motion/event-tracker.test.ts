import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventTracker, type Sample, type TrackerAction } from '../../src/motion/event-tracker.js';
import type { MotionLevel } from '../../src/motion/motion-detector.js';

const settings = { minFrames: 1, endMs: 4000, maxEventMs: 60_000 };

/** Feeds levels at 2 s steps; returns the actions with their picture index. */
function feed(t: EventTracker, levels: string, scores: number[] = []): [number, TrackerAction][] {
  const out: [number, TrackerAction][] = [];
  const map: Record<string, MotionLevel> = { '.': 'none', l: 'low', H: 'high' };
  [...levels].forEach((c, i) => {
    const s: Sample = { atMs: i * 2000, score: scores[i] ?? (c === 'H' ? 5 : c === 'l' ? 1 : 0), level: map[c], zones: c === '.' ? [] : ['z'] };
    for (const a of t.feed(s)) out.push([i, a]);
  });
  return out;
}

test('starts on high, goes on through low, ends after endMs quiet at the last motion', () => {
  const acts = feed(new EventTracker(settings), '..HlH...l..');
  assert.deepEqual(acts.map(([i, a]) => [i, a.type]), [
    [2, 'start'],
    [6, 'end'],
  ]);
  const [, end] = acts[1];
  assert.deepEqual(end, { type: 'end', endMs: 8000, reason: 'quiet', zones: ['z'] });
  // 'l' alone (index 8) never starts one
});

test('a short pause inside endMs keeps one event', () => {
  const acts = feed(new EventTracker(settings), 'H.H....');
  assert.deepEqual(acts.map(([i, a]) => [i, a.type]), [
    [0, 'start'],
    [4, 'end'],
  ]);
});

test('minFrames: a single high picture is not enough', () => {
  const t = new EventTracker({ ...settings, minFrames: 2 });
  assert.deepEqual(feed(t, 'H.H.').length, 0);
  const acts = feed(new EventTracker({ ...settings, minFrames: 2 }), '.HH...');
  assert.deepEqual(acts.map(([i, a]) => [i, a.type, a.type === 'start' ? a.atMs : null]), [
    [2, 'start', 2000],
    [4, 'end', null],
  ]);
});

test('peaks: reported when the score grows', () => {
  const acts = feed(new EventTracker(settings), 'HHHH', [2, 5, 3, 7]);
  assert.deepEqual(acts.map(([i, a]) => [i, a.type]), [
    [0, 'start'],
    [1, 'peak'],
    [3, 'peak'],
  ]);
});

test('maxEventMs splits a long event; end() and expire() close one', () => {
  const t = new EventTracker({ ...settings, maxEventMs: 6000 });
  const acts = feed(t, 'HHHHHH');
  assert.deepEqual(acts.map(([i, a]) => [i, a.type, a.type === 'end' ? a.reason : '']), [
    [0, 'start', ''],
    [3, 'end', 'max-length'],
    [3, 'start', ''],
  ]);
  assert.equal(t.ongoing, true);
  assert.deepEqual(t.expire(12_000, 'quiet'), []);
  assert.deepEqual(t.expire(14_000, 'quiet').map((a) => a.type), ['end']);
  assert.equal(t.ongoing, false);
  feed(t, 'H');
  assert.deepEqual(t.end('publish-ended'), [{ type: 'end', endMs: 0, reason: 'publish-ended', zones: ['z'] }]);
  assert.deepEqual(t.end('shutdown'), []);
});
