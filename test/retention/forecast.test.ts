import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cameraWriteRate, fullAtMs, IDLE_MS } from '../../src/retention/forecast.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const seg = (startAgo: number, endAgo: number, bytes: number, state: 'open' | 'closed' = 'closed') => ({ startMs: NOW - startAgo, endMs: NOW - endAgo, bytes, state });

test('the bitrate over recorded time: gaps and deleted footage do not dilute it', () => {
  // two 10 s segments a minute apart (the ones between deleted by a budget), 5000 B/s, the last one open
  assert.equal(cameraWriteRate([seg(80_000, 70_000, 50_000), seg(15_000, 5_000, 50_000, 'open')], NOW), 5000);
});

test('a camera not recording now writes nothing; one whose only segment just opened is not measured yet', () => {
  assert.equal(cameraWriteRate([seg(100_000, IDLE_MS + 1, 50_000)], NOW), 0);
  assert.equal(cameraWriteRate([seg(100_000, IDLE_MS, 50_000)], NOW) > 0, true);
  assert.equal(cameraWriteRate([seg(1000, 1000, 0, 'open')], NOW), 0);
  assert.equal(cameraWriteRate([], NOW), 0);
});

test('the disk is full when free space runs out at that rate; never with nothing written', () => {
  assert.equal(fullAtMs(NOW, 86_400_000, 1000), NOW + 86_400_000); // a day
  assert.equal(fullAtMs(NOW, -5, 1000), NOW);
  assert.equal(fullAtMs(NOW, 1000, 0), null);
});
