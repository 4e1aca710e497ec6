/**
 * Global light changes (auto exposure, a cloud, the IR cut filter switching at
 * dusk) move every pixel of the scene the same way: darker ones stay darker.
 * Before two pictures are compared, the reference is mapped onto the current
 * one through the monotone tone curve that fits best, gray level to gray
 * level. A straight gain and offset is not enough: exposure changes clip
 * highlights and shadows, and cameras apply gamma. The curve is the median
 * current level per band of reference levels, so a moving object (a few
 * percent of the cells) does not bend it; what remains after the mapping is
 * local change.
 */

export interface LightFit {
  /** reference level (0..255, index) -> expected current level */
  curve: Float32Array;
  /** robust noise level of what is left: 1.4826 x median absolute residual */
  sigma: number;
  /** slope of the curve between levels 50 and 200: 1 is unchanged light (for logs) */
  gain: number;
}

const BANDS = 32;
const BAND_WIDTH = 256 / BANDS;
/** A band needs this share of the cells (and at least MIN_BAND_CELLS) to shape the curve; smaller ones could be one object. */
const MIN_BAND_SHARE = 0.01;
const MIN_BAND_CELLS = 6;
/** Gray levels a band's median may fall below the previous band's and still count as in order (noise). */
const ORDER_TOLERANCE = 6;

/** Median of the first n entries of values (sorted in place). */
function median(values: Float32Array, n: number): number {
  if (n === 0) return 0;
  const s = values.subarray(0, n).sort();
  return n % 2 ? s[n >> 1] : (s[(n >> 1) - 1] + s[n >> 1]) / 2;
}

/** Curve value at a fractional reference level. */
export function applyCurve(curve: Float32Array, level: number): number {
  const x = level <= 0 ? 0 : level >= 255 ? 255 : level;
  const i = Math.floor(x);
  if (i >= 255) return curve[255];
  return curve[i] + (curve[i + 1] - curve[i]) * (x - i);
}

/**
 * The bands that agree on one non-decreasing curve, heaviest set first
 * (weighted longest non-decreasing subsequence; tolerance for noise). A band
 * made only by a moving object maps somewhere unrelated to its neighbours:
 * it breaks the order and is left out rather than bending the curve.
 */
function consistentBands(ys: number[], ws: number[]): number[] {
  const n = ys.length;
  const best = new Float64Array(n);
  const prev = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    best[i] = ws[i];
    for (let j = 0; j < i; j++) {
      if (ys[j] <= ys[i] + ORDER_TOLERANCE && best[j] + ws[i] > best[i]) {
        best[i] = best[j] + ws[i];
        prev[i] = j;
      }
    }
  }
  let end = 0;
  for (let i = 1; i < n; i++) if (best[i] > best[end]) end = i;
  const kept: number[] = [];
  for (let i = n > 0 ? end : -1; i >= 0; i = prev[i]) kept.unshift(i);
  return kept;
}

/** The tone curve mapping ref onto cur over the cells where use[i] is 1 (all when null), and the residual noise. */
export function fitLight(cur: Float32Array, ref: Float32Array, use: Uint8Array | null, scratch: Float32Array): LightFit {
  const bandOf = new Uint8Array(cur.length);
  const counts = new Uint32Array(BANDS);
  const refSums = new Float64Array(BANDS);
  let n = 0;
  for (let i = 0; i < cur.length; i++) {
    if (use && !use[i]) continue;
    const b = Math.min(BANDS - 1, Math.max(0, Math.floor(ref[i] / BAND_WIDTH)));
    bandOf[i] = b;
    counts[b]++;
    refSums[b] += ref[i];
    n++;
  }
  // each band's current levels, gathered band after band in scratch
  const starts = new Uint32Array(BANDS + 1);
  for (let b = 0; b < BANDS; b++) starts[b + 1] = starts[b] + counts[b];
  const fill = starts.slice(0, BANDS);
  for (let i = 0; i < cur.length; i++) if (!use || use[i]) scratch[fill[bandOf[i]]++] = cur[i];
  const bands: { x: number; y: number; w: number }[] = [];
  const minCells = Math.max(MIN_BAND_CELLS, MIN_BAND_SHARE * n);
  for (let b = 0; b < BANDS; b++) {
    if (counts[b] < minCells) continue;
    bands.push({ x: refSums[b] / counts[b], y: median(scratch.subarray(starts[b]), counts[b]), w: counts[b] });
  }
  const kept = consistentBands(
    bands.map((b) => b.y),
    bands.map((b) => b.w),
  ).map((i) => bands[i]);
  const xs = kept.map((b) => b.x);
  const ws = kept.map((b) => b.w);
  // within tolerance the kept medians may still dip: flatten the dips
  let top = -Infinity;
  const ys = kept.map((b) => (top = Math.max(top, b.y)));
  const curve = new Float32Array(256);
  if (xs.length === 0) {
    for (let v = 0; v < 256; v++) curve[v] = v;
  } else {
    const my = ys;
    let k = 0;
    for (let v = 0; v < 256; v++) {
      while (k < xs.length - 1 && xs[k + 1] <= v) k++;
      let y: number;
      if (v <= xs[0]) y = my[0] + (v - xs[0]); // beyond the data: same offset, slope 1
      else if (k === xs.length - 1) y = my[k] + (v - xs[k]);
      else y = my[k] + ((my[k + 1] - my[k]) * (v - xs[k])) / (xs[k + 1] - xs[k]);
      curve[v] = Math.min(255, Math.max(0, y));
    }
  }
  let m = 0;
  for (let i = 0; i < cur.length; i++) if (!use || use[i]) scratch[m++] = Math.abs(cur[i] - applyCurve(curve, ref[i]));
  return { curve, sigma: 1.4826 * median(scratch, m), gain: (curve[200] - curve[50]) / 150 };
}
