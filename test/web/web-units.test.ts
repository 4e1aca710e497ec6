/** The UI's pure helpers, in Node: local days across daylight-saving changes, routes, API error fields. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../web/src/api.js';
import { fieldFor } from '../../web/src/cameras/camera-settings.js';
import { dayRange, formatDuration, localDay } from '../../web/src/components/time.js';
import { href, parseRoute } from '../../web/src/routes.js';

test('dayRange: local midnights, 23 and 25 hours on daylight-saving days', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'Europe/Berlin';
  try {
    const hours = (day: string) => {
      const r = dayRange(day)!;
      return (r.toMs - r.fromMs) / 3600_000;
    };
    assert.equal(hours('2026-03-29'), 23);
    assert.equal(hours('2026-10-25'), 25);
    assert.equal(hours('2026-11-25'), 24);
    assert.equal(new Date(dayRange('2026-11-25')!.fromMs).toISOString(), '2026-11-24T23:00:00.000Z');
    assert.equal(localDay(Date.parse('2026-11-24T23:30:00Z')), '2026-11-25');
    assert.equal(dayRange('2026-1-5'), null);
    assert.equal(dayRange('yesterday'), null);
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('formatDuration', () => {
  assert.equal(formatDuration(12_400), '12 s');
  assert.equal(formatDuration(65_000), '1 min 5 s');
  assert.equal(formatDuration(3 * 3600_000 + 60_000), '3 h 1 min');
});

test('href and parseRoute: the timeline address an event opens', () => {
  const h = href('timeline', ['front door'], { day: '2026-11-25', at: 1764078000000, none: undefined });
  assert.equal(h, '#/timeline/front%20door?day=2026-11-25&at=1764078000000');
  const r = parseRoute(h);
  assert.equal(r.page, 'timeline');
  assert.deepEqual(r.params, ['front door']);
  assert.equal(r.query.get('at'), '1764078000000');
  assert.equal(parseRoute('').page, 'live');
});

test('API validation errors land on the field they name', () => {
  const err = new ApiError(400, 'INVALID_CAMERA', 'recording.segmentSeconds: must be >= 1, got 0');
  assert.equal(err.field, 'recording.segmentSeconds');
  const fields = ['name', 'recording.segmentSeconds', 'motion.zones'];
  assert.equal(fieldFor(err.field, fields), 'recording.segmentSeconds');
  assert.equal(fieldFor(new ApiError(400, 'INVALID_CAMERA', 'motion.zones[0].points: must have at least 3 entries').field, fields), 'motion.zones');
  assert.equal(fieldFor(new ApiError(409, 'CAMERA_EXISTS', 'a camera "x" exists already').field, fields), null);
  assert.equal(fieldFor('motion.zonesX', fields), null);
});
