import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginLimiter } from '../../src/auth/login-limiter.js';

const limits = { maxFailures: 5, windowMs: 60_000, maxBlockMs: 900_000 };
const keys = ['ip:10.0.0.9', 'user:admin'];

test('five failures within the window block for the window; the next block doubles, up to the cap', () => {
  const l = new LoginLimiter(limits);
  let now = 1_000_000;
  for (let i = 0; i < 4; i++) l.fail(keys, now++);
  assert.equal(l.retryAfterMs(keys, now), 0, 'four failures: still allowed');
  l.fail(keys, now);
  assert.equal(l.retryAfterMs(keys, now), 60_000);
  assert.equal(l.retryAfterMs(['user:admin'], now + 59_999), 1);
  now += 60_000;
  assert.equal(l.retryAfterMs(keys, now), 0, 'free again after the block');
  for (let i = 0; i < 5; i++) l.fail(keys, now);
  assert.equal(l.retryAfterMs(keys, now), 120_000, 'second block: twice as long');
  for (let block = 0; block < 6; block++) {
    now += 1_000_000;
    for (let i = 0; i < 5; i++) l.fail(keys, now + i); // each within maxBlock of the last: escalation continues
  }
  assert.ok(l.retryAfterMs(keys, now + 4) <= 900_000, 'never beyond maxBlockMs');
});

test('failures spread wider than the window never block', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 20; i++) l.fail(keys, i * 20_000); // 3 per minute
  assert.equal(l.retryAfterMs(keys, 20 * 20_000), 0);
});

test('a quiet maxBlock forgets the escalation', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 5; i++) l.fail(keys, 0);
  const later = 60_000 + 900_000;
  for (let i = 0; i < 5; i++) l.fail(keys, later);
  assert.equal(l.retryAfterMs(keys, later), 60_000);
});

test('keys are separate: another address is not blocked by a guesser, the user name is', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 5; i++) l.fail(['ip:a', `user:u${i}`], 0); // one address, many names
  assert.equal(l.retryAfterMs(['ip:a', 'user:new'], 1), 59_999);
  assert.equal(l.retryAfterMs(['ip:b', 'user:u0'], 1), 0);
  for (let i = 0; i < 5; i++) l.fail([`ip:x${i}`, 'user:admin'], 0); // many addresses, one name
  assert.equal(l.retryAfterMs(['ip:b', 'user:admin'], 1), 59_999);
});

test('success clears the user record but not the address record', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 4; i++) l.fail(keys, 0);
  l.succeed('user:admin');
  l.fail(keys, 1);
  assert.equal(l.retryAfterMs(['user:admin'], 1), 0);
  assert.equal(l.retryAfterMs(['ip:10.0.0.9'], 1), 60_000, 'the address reached five');
});

test('memory is bounded under a flood of made-up names', () => {
  const l = new LoginLimiter(limits);
  for (let i = 0; i < 30_000; i++) l.fail([`user:${i}`], i);
  assert.ok(l.size <= 10_000, `${l.size} entries`);
});
