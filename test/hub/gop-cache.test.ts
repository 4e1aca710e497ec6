import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GopCache } from '../../src/hub/gop-cache.js';
import type { MediaFrame } from '../../src/media/frame.js';

const v = (dts: number, keyframe: boolean, bytes = 100): MediaFrame => ({ track: 'video', codec: 'h264', dts, pts: dts, keyframe, payload: Buffer.alloc(bytes) });
const a = (dts: number): MediaFrame => ({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: Buffer.alloc(10) });

test('keeps the frames since the latest keyframe, starting on it', () => {
  const g = new GopCache(1 << 20);
  for (const f of [a(0), v(10, false), v(20, true), a(25), v(30, false), v(40, true), a(45), v(50, false)]) g.push(f);
  assert.deepEqual(g.snapshot().map((f) => `${f.track[0]}${f.dts}`), ['v40', 'a45', 'v50']);
});

test('a GOP larger than the budget is dropped until the next keyframe', () => {
  const g = new GopCache(1000);
  g.push(v(0, true, 400));
  g.push(v(40, false, 400));
  g.push(v(80, false, 400)); // over budget: cleared
  assert.equal(g.snapshot().length, 0);
  g.push(v(120, false, 10));
  assert.equal(g.snapshot().length, 0, 'no keyframe to start from');
  g.push(v(160, true, 10));
  assert.equal(g.snapshot().length, 1);
  assert.ok(g.byteLength <= 1000);
});

test('audio-only streams keep the last second of audio', () => {
  const g = new GopCache(1 << 20, 1000);
  for (let i = 0; i < 100; i++) g.push(a(i * 23));
  const s = g.snapshot();
  assert.ok(s.length > 40 && s.length <= 45, `${s.length} frames`);
  assert.ok(s[s.length - 1].dts - s[0].dts <= 1000);
});
