import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampUnwrapper } from '../../src/media/timestamp-unwrap.js';

const WRAP = 2 ** 32;

test('a stream starting at 0xFFFFF000 continues past the 2^32 wrap, strictly increasing', () => {
  const u = new TimestampUnwrapper();
  let raw = 0xfffff000;
  let prev = -Infinity;
  const out: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t = u.unwrap(raw);
    assert.ok(t > prev, `step ${i}: ${t} after ${prev}`);
    prev = t;
    out.push(t);
    raw = (raw + 33) >>> 0;
  }
  assert.equal(out[0], 0xfffff000);
  assert.equal(out[399], 0xfffff000 + 399 * 33);
  assert.ok(out[399] > WRAP);
});

test('small backwards jitter stays a small negative delta, also across the wrap', () => {
  const u = new TimestampUnwrapper();
  assert.equal(u.unwrap(1000), 1000);
  assert.equal(u.unwrap(990), 990); // not 990 + 2^32
  assert.equal(u.unwrap(1020), 1020);
  const w = new TimestampUnwrapper();
  w.unwrap(WRAP - 10);
  assert.equal(w.unwrap(5), WRAP + 5);
  assert.equal(w.unwrap(WRAP - 3), WRAP - 3); // jitter back over the wrap point
  assert.equal(w.unwrap(20), WRAP + 20);
});

test('keeps going over several wraps and handles large forward jumps below 2^31', () => {
  const u = new TimestampUnwrapper();
  let expected = 0;
  u.unwrap(0);
  for (let i = 0; i < 10; i++) {
    expected += 2 ** 31 - 1;
    assert.equal(u.unwrap(expected % WRAP), expected);
  }
  assert.ok(expected > 4 * WRAP);
});

test('seed puts a late track in the other track epoch; raw values are taken mod 2^32', () => {
  const u = new TimestampUnwrapper();
  u.seed(WRAP + 100);
  assert.equal(u.unwrap(150), WRAP + 150);
  const v = new TimestampUnwrapper();
  assert.equal(v.current, null);
  assert.equal(v.unwrap(-1), WRAP - 1);
  assert.equal(v.current, WRAP - 1);
});
