import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GrayFrame } from '../../src/motion/gray-frame.js';
import { analysisSize, toGrayGrid } from '../../src/motion/gray-frame.js';
import { applyCurve, fitLight } from '../../src/motion/light-fit.js';
import { MotionDetector, thresholdsFor, type DetectorSettings } from '../../src/motion/motion-detector.js';
import { insidePolygon, zoneGrid } from '../../src/motion/zone-mask.js';
import { prng } from '../media/flv-file.js';

const W = 80;
const H = 45;

/** A textured static scene, per-picture noise, and optionally a bright 8x8 block at (bx, by). */
function scene(seed: number, opts: { block?: [number, number]; light?: (v: number) => number; noise?: number } = {}): GrayFrame {
  const texture = prng(1);
  const noise = prng(seed);
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // vertical bars of different levels plus fixed texture
      let v = 40 + ((Math.floor(x / 10) * 23) % 160) + texture() * 20;
      const [bx, by] = opts.block ?? [-100, -100];
      if (x >= bx && x < bx + 8 && y >= by && y < by + 8) v = 250;
      v = opts.light ? opts.light(v) : v;
      data[y * W + x] = Math.min(255, Math.max(0, v + (noise() - 0.5) * 2 * (opts.noise ?? 3)));
    }
  }
  return { width: W, height: H, data };
}

const settings = (over: Partial<DetectorSettings> = {}): DetectorSettings => ({ sensitivity: 50, zones: [], masks: [], backgroundSeconds: 10, ...over });

function run(d: MotionDetector, frames: GrayFrame[]) {
  return frames.map((f, i) => d.analyse(f, i * 2000));
}

describe('motion detector', () => {
  test('a still, noisy scene has no motion; a block that moves has; one that stopped no longer has', () => {
    const d = new MotionDetector(W, H, settings());
    const r = run(d, [
      scene(1, { block: [10, 10] }),
      scene(2, { block: [10, 10] }),
      scene(3, { block: [10, 10] }),
      scene(4, { block: [30, 20] }),
      scene(5, { block: [50, 30] }),
      scene(6, { block: [50, 30] }),
      scene(7, { block: [50, 30] }),
    ]);
    assert.equal(r[0].reseeded, 'first');
    assert.deepEqual(r.map((a) => a.level), ['none', 'none', 'none', 'high', 'high', 'none', 'none']);
    // the block is 64 of 3600 cells; moved, it shows where it is and where it was
    assert.ok(r[3].score > 1.5 && r[3].score < 5, `score ${r[3].score}`);
  });

  test('brightness, contrast and gamma changes with clipping are not motion', () => {
    const d = new MotionDetector(W, H, settings());
    const lights = [(v: number) => v, (v: number) => v * 1.3 + 10, (v: number) => 255 * (v / 255) ** 0.6, (v: number) => v * 0.5, (v: number) => v * 2 - 40];
    const r = run(d, lights.map((light, i) => scene(i + 1, { light })));
    assert.deepEqual(r.map((a) => a.level), ['none', 'none', 'none', 'none', 'none']);
  });

  test('motion during a light change is still found', () => {
    const d = new MotionDetector(W, H, settings());
    const r = run(d, [scene(1, { block: [10, 10] }), scene(2, { block: [10, 10], light: (v) => v * 1.2 }), scene(3, { block: [40, 20], light: (v) => v * 1.4 + 5 })]);
    assert.equal(r[2].level, 'high');
  });

  test('most of the picture changing at once is a scene change: re-seeded, not motion', () => {
    const d = new MotionDetector(W, H, settings());
    // a different scene: the camera turned, or the lens was covered
    const t = prng(99);
    const other = { width: W, height: H, data: Float32Array.from({ length: W * H }, (_, i) => 30 + ((Math.floor((i % W) / 7) * 41) % 190) + t() * 20) };
    const r = run(d, [scene(1), other, scene(3)]);
    assert.equal(r[1].reseeded, 'global-change');
    assert.equal(r[1].level, 'none');
  });

  test('masks hide motion; zones name where it was', () => {
    const masked = new MotionDetector(W, H, settings({ masks: [{ points: [[0, 0], [1, 0], [1, 1], [0, 1]] }] }));
    assert.equal(run(masked, [scene(1, { block: [10, 10] }), scene(2, { block: [40, 20] })])[1].level, 'none');
    const zoned = new MotionDetector(
      W,
      H,
      settings({
        zones: [
          { name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] },
          { name: 'right', points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] },
        ],
      }),
    );
    const r = run(zoned, [scene(1, { block: [5, 10] }), scene(2, { block: [5, 10] }), scene(3, { block: [20, 20] })]);
    assert.equal(r[2].level, 'high');
    assert.deepEqual(r[2].zones, ['left']);
  });

  test('sensitivity: higher finds fainter motion', () => {
    const hi = thresholdsFor(90);
    const lo = thresholdsFor(10);
    assert.ok(hi.k < lo.k && hi.floor < lo.floor && hi.minAreaPercent < lo.minAreaPercent);
    // a 3x3 block barely brighter than the scene
    const faint = (seed: number, at: number) => {
      const f = scene(seed);
      for (let y = 20; y < 23; y++) for (let x = at; x < at + 3; x++) f.data[y * W + x] += 25;
      return f;
    };
    const levels = (s: number) => run(new MotionDetector(W, H, settings({ sensitivity: s })), [faint(1, 10), faint(2, 10), faint(3, 50)])[2].level;
    assert.equal(levels(95), 'high');
    assert.equal(levels(5), 'none');
  });
});

describe('light fit', () => {
  test('the fitted tone curve undoes a global change, and a moving object barely bends it', () => {
    const ref = scene(1).data;
    const cur = scene(2, { block: [30, 20], light: (v) => Math.min(255, v * 1.5) }).data;
    const fit = fitLight(cur, ref, null, new Float32Array(ref.length));
    assert.ok(Math.abs(applyCurve(fit.curve, 100) - 150) < 6, `100 -> ${applyCurve(fit.curve, 100)}`);
    assert.ok(fit.sigma < 5, `sigma ${fit.sigma}`);
    for (let v = 1; v < 256; v++) assert.ok(fit.curve[v] >= fit.curve[v - 1], 'monotone');
  });
});

describe('zones and gray grid', () => {
  test('polygons rasterise by cell centre; masks cut zones', () => {
    assert.equal(insidePolygon(0.3, 0.3, [[0, 0], [1, 0], [0, 1]]), true);
    assert.equal(insidePolygon(0.9, 0.9, [[0, 0], [1, 0], [0, 1]]), false);
    const g = zoneGrid(4, 2, [{ name: 'all', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }], [{ points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }]);
    assert.deepEqual([...g.watched], [0, 0, 1, 1, 0, 0, 1, 1]);
    assert.equal(g.zones[0].count, 4);
  });

  test('RGB to a gray grid averages blocks', () => {
    assert.deepEqual(analysisSize(320, 180), { width: 80, height: 45 });
    assert.deepEqual(analysisSize(40, 30), { width: 40, height: 30 });
    const rgb = Buffer.alloc(4 * 2 * 3);
    // left half white, right half black
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) rgb.fill(255, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
    const g = toGrayGrid(rgb, 4, 2, 2, 1);
    assert.deepEqual([...g.data].map((v) => Math.round(v)), [255, 0]);
  });
});
