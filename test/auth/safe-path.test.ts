import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathEscapeError, resolveInside } from '../../src/storage/safe-path.js';

test('paths inside the data directory resolve', () => {
  assert.equal(resolveInside('/data', 'recordings/cam/2026-11-25/1.flv'), '/data/recordings/cam/2026-11-25/1.flv');
  assert.equal(resolveInside('/data/', './recordings/../recordings/x.mp4'), '/data/recordings/x.mp4');
  assert.equal(resolveInside('/data', '..foo/x'), '/data/..foo/x', 'a name starting with dots is not a parent');
});

test('anything leaving it, absolute, empty or with a NUL is refused', () => {
  for (const rel of ['../etc/passwd', 'recordings/../../etc/passwd', '/etc/passwd', '..', '.', '', 'a\0b', 'recordings/cam/../../../data2/x']) {
    assert.throws(() => resolveInside('/data', rel), PathEscapeError, JSON.stringify(rel));
  }
});
