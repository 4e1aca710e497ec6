/**
 * Motion from one analysis picture to the next (see DESIGN.md):
 *  1. map the background and the previous picture onto the current light
 *     through a fitted tone curve (light-fit.ts);
 *  2. a cell changed when it differs from the mapped reference by more than
 *     the noise threshold: k x the picture's own noise level, at least a floor;
 *  3. a cell is in motion when it changed against both the background and the
 *     previous picture (an object that stopped is no longer motion, one that
 *     left no longer is either) and has neighbours in motion (noise is lonely);
 *  4. most of the picture changing at once is a light or scene change (IR
 *     switch, lens covered): the models are re-seeded and nothing is reported;
 *  5. the score is the share of the watched area in motion, in percent.
 */
import type { GrayFrame } from './gray-frame.js';
import { applyCurve, fitLight } from './light-fit.js';
import { zoneGrid, type Polygon, type ZoneGrid } from './zone-mask.js';

export interface DetectorSettings {
  /** 1..100: higher finds smaller and fainter motion */
  sensitivity: number;
  /** overrides the smallest changed area the sensitivity implies, percent of the watched area */
  minAreaPercent?: number | null;
  zones: readonly Polygon[];
  masks: readonly Polygon[];
  /** time constant of the running background, seconds */
  backgroundSeconds: number;
}

export type MotionLevel = 'none' | 'low' | 'high';

export interface Analysis {
  /** percent of the watched area in motion */
  score: number;
  /** 'high': enough to start an event; 'low': enough to keep one going (half the area) */
  level: MotionLevel;
  /** zones with motion in them, by name */
  zones: string[];
  /** the models were (re)seeded from this picture: first picture, or a global change */
  reseeded: 'first' | 'global-change' | null;
  gain: number;
  threshold: number;
  /** per cell: 1 in motion (after the neighbour filter) */
  motion: Uint8Array;
}

/**
 * Largest noise level (gray levels) the threshold follows. Averaged down to
 * the analysis grid even a grainy night picture stays well below it.
 */
const SIGMA_CAP = 6;

/** Share of the unmasked picture that, changed at once, means light or scene rather than motion. */
export const GLOBAL_CHANGE_FRACTION = 0.5;

/** Sensitivity to thresholds: geometric between the ends, so each step changes them by the same ratio. */
export function thresholdsFor(sensitivity: number): { k: number; floor: number; minAreaPercent: number } {
  const s = Math.min(100, Math.max(1, sensitivity)) / 100;
  return {
    k: 8 * 0.3 ** s, // noise sigmas: 8 .. 2.4 (4.4 at 50)
    floor: 14 * 0.4 ** s, // gray levels: 14 .. 5.6 (8.9 at 50)
    minAreaPercent: 5 * 0.02 ** s, // 5% .. 0.1% (0.71% at 50)
  };
}

export class MotionDetector {
  private background: Float32Array | null = null;
  private previous: Float32Array | null = null;
  private lastMs = 0;
  private readonly grid: ZoneGrid;
  /** cells outside every mask: what the light fit and the global-change test look at */
  private readonly unmasked: Uint8Array;
  private readonly unmaskedCount: number;
  private readonly scratch: Float32Array;
  private readonly k: number;
  private readonly floor: number;
  readonly minAreaPercent: number;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly settings: DetectorSettings,
  ) {
    const t = thresholdsFor(settings.sensitivity);
    this.k = t.k;
    this.floor = t.floor;
    this.minAreaPercent = settings.minAreaPercent ?? t.minAreaPercent;
    this.grid = zoneGrid(width, height, settings.zones, settings.masks);
    const all = zoneGrid(width, height, [], settings.masks);
    this.unmasked = all.watched;
    this.unmaskedCount = all.watchedCount;
    this.scratch = new Float32Array(width * height);
  }

  /** Forget the models (new publish): the next picture seeds them. */
  reset(): void {
    this.background = this.previous = null;
  }

  analyse(frame: GrayFrame, atMs: number): Analysis {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new RangeError(`analysis picture is ${frame.width}x${frame.height}, detector expects ${this.width}x${this.height}`);
    }
    const cur = frame.data;
    const n = cur.length;
    const motion = new Uint8Array(n);
    const quiet = (reseeded: Analysis['reseeded'], gain = 1, threshold = 0): Analysis => {
      this.background = Float32Array.from(cur);
      this.previous = Float32Array.from(cur);
      this.lastMs = atMs;
      return { score: 0, level: 'none', zones: [], reseeded, gain, threshold, motion };
    };
    if (!this.background || !this.previous || this.unmaskedCount === 0) return quiet('first');

    const bgFit = fitLight(cur, this.background, this.unmasked, this.scratch);
    const prevFit = fitLight(cur, this.previous, this.unmasked, this.scratch);
    // capped: a changed scene inflates the measured noise and would hide itself
    const tBg = Math.max(this.floor, this.k * Math.min(SIGMA_CAP, bgFit.sigma));
    const tPrev = Math.max(this.floor, this.k * Math.min(SIGMA_CAP, prevFit.sigma));

    const changed = new Uint8Array(n);
    let changedUnmasked = 0;
    for (let i = 0; i < n; i++) {
      const vsBg = Math.abs(cur[i] - applyCurve(bgFit.curve, this.background[i])) > tBg;
      if (vsBg && this.unmasked[i]) changedUnmasked++;
      if (vsBg && Math.abs(cur[i] - applyCurve(prevFit.curve, this.previous[i])) > tPrev) changed[i] = 1;
    }
    if (changedUnmasked > GLOBAL_CHANGE_FRACTION * this.unmaskedCount) return quiet('global-change', bgFit.gain, tBg);

    this.neighbourFilter(changed, motion);
    this.updateBackground(cur, bgFit.curve, motion, atMs);
    this.previous = Float32Array.from(cur);

    let inWatched = 0;
    for (let i = 0; i < n; i++) if (motion[i] && this.grid.watched[i]) inWatched++;
    const score = this.grid.watchedCount ? (100 * inWatched) / this.grid.watchedCount : 0;
    let level: MotionLevel = score >= this.minAreaPercent ? 'high' : score >= this.minAreaPercent / 2 ? 'low' : 'none';
    const zones: string[] = [];
    for (const z of this.grid.zones) {
      let c = 0;
      for (let i = 0; i < n; i++) if (motion[i] && z.cells[i]) c++;
      const zs = z.count ? (100 * c) / z.count : 0;
      if (zs >= this.minAreaPercent / 2 && c > 0) zones.push(z.name);
      // a small zone mostly in motion counts even when the watched area as a whole barely moved
      if (zs >= this.minAreaPercent && level !== 'high') level = 'high';
      else if (zs >= this.minAreaPercent / 2 && level === 'none') level = 'low';
    }
    return { score, level, zones, reseeded: null, gain: bgFit.gain, threshold: tBg, motion };
  }

  /** Keep a changed cell only when at least two of its eight neighbours changed too. */
  private neighbourFilter(changed: Uint8Array, out: Uint8Array): void {
    const w = this.width;
    const h = this.height;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!changed[i]) continue;
        let c = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if ((dx || dy) && xx >= 0 && xx < w) c += changed[yy * w + xx];
          }
        }
        if (c >= 2) out[i] = 1;
      }
    }
  }

  /**
   * The background follows the light at once (it is mapped by the curve) and
   * the scene slowly: cells in motion learn at a tenth of the rate, so a
   * passing object barely marks it, while one that stays is learnt.
   */
  private updateBackground(cur: Float32Array, curve: Float32Array, motion: Uint8Array, atMs: number): void {
    const bg = this.background!;
    const dt = Math.min(60_000, Math.max(0, atMs - this.lastMs)) / 1000;
    this.lastMs = atMs;
    const alpha = 1 - Math.exp(-dt / Math.max(0.1, this.settings.backgroundSeconds));
    for (let i = 0; i < bg.length; i++) {
      const mapped = applyCurve(curve, bg[i]);
      bg[i] = mapped + (motion[i] ? alpha / 10 : alpha) * (cur[i] - mapped);
    }
  }
}
