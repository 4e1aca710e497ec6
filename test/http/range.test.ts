import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRange } from '../../src/http/range.js';

describe('parseRange', () => {
  const size = 100;
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, null],
    ['', null],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=-5', { start: 95, end: 99 }],
    ['bytes=99-99', { start: 99, end: 99 }],
    ['BYTES=0-0', { start: 0, end: 0 }],
    [' bytes=5-9 ', { start: 5, end: 9 }],
    // end past the size is clipped; a suffix longer than the body is all of it
    ['bytes=90-1000', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=100-200', 'unsatisfiable'],
    ['bytes=99999999999999999999-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    // ignored, so the whole body is served
    ['bytes=9-0', null],
    ['bytes=-', null],
    ['bytes=0-1,5-6', null],
    ['items=0-9', null],
    ['bytes=a-b', null],
    ['bytes=0x10-', null],
  ];
  for (const [header, expected] of cases) {
    test(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseRange(header, size), expected);
    });
  }

  test('every range of an empty body is unsatisfiable', () => {
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-1', 0), 'unsatisfiable');
    assert.equal(parseRange(undefined, 0), null);
  });
});
