/**
 * The timeline's arithmetic, pure and in the browser's local time zone: a
 * day's bounds (local midnights: 23 or 25 hours on DST days, never "+24 h"),
 * the visible window and its zoom/pan, pixel layout of spans, and hour ticks.
 * All times are epoch ms; only labels and day boundaries are local.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** The closest zoom: five minutes across the bar. */
export const MIN_VIEW_MS = 5 * MINUTE;

export interface Range {
  from: number;
  to: number;
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD string, or null when it is not a real date. */
export function parseDay(s: string | null | undefined): string | null {
  const m = s ? DAY_RE.exec(s) : null;
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return formatDay(d.getTime()) === s ? s : null;
}

/** The local calendar day containing `ms`, as YYYY-MM-DD. */
export function formatDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** [local midnight, next local midnight) of a YYYY-MM-DD day: 23, 24 or 25 hours long. */
export function dayBounds(day: string): Range {
  const [y, m, d] = day.split('-').map(Number);
  // Date's own calendar arithmetic: day d+1 rolls over months and years, and
  // a midnight that DST skips (e.g. America/Santiago) becomes 01:00.
  return { from: new Date(y, m - 1, d).getTime(), to: new Date(y, m - 1, d + 1).getTime() };
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return formatDay(new Date(y, m - 1, d + n, 12).getTime());
}

/** HH:MM (or HH:MM:SS) in local time. */
export function formatClock(ms: number, seconds = false): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

const pad = (n: number) => String(n).padStart(2, '0');

export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Moves a window inside bounds without changing its length (shrinking it only if it is longer than bounds). */
export function fitView(view: Range, bounds: Range): Range {
  const len = Math.min(view.to - view.from, bounds.to - bounds.from);
  const from = clamp(view.from, bounds.from, bounds.to - len);
  return { from, to: from + len };
}

/**
 * Zooms by `factor` (< 1 in, > 1 out) keeping `anchor` (a time, e.g. under
 * the pointer) at the same place on the bar; between MIN_VIEW_MS and the day.
 */
export function zoomView(view: Range, factor: number, anchor: number, bounds: Range): Range {
  const len = view.to - view.from;
  const next = clamp(len * factor, Math.min(MIN_VIEW_MS, bounds.to - bounds.from), bounds.to - bounds.from);
  const a = clamp(anchor, view.from, view.to);
  const from = a - ((a - view.from) * next) / len;
  return fitView({ from, to: from + next }, bounds);
}

/** Shifts the window by `deltaMs`, stopping at the day's edges. */
export function panView(view: Range, deltaMs: number, bounds: Range): Range {
  return fitView({ from: view.from + deltaMs, to: view.to + deltaMs }, bounds);
}

/** A window of the same length centred on `t` (to keep a playhead in view). */
export function centerView(view: Range, t: number, bounds: Range): Range {
  const len = view.to - view.from;
  return fitView({ from: t - len / 2, to: t + len / 2 }, bounds);
}

export const msToX = (t: number, view: Range, width: number) => ((t - view.from) / (view.to - view.from)) * width;
export const xToMs = (x: number, view: Range, width: number) => view.from + (x / width) * (view.to - view.from);

export interface Box {
  left: number;
  width: number;
}

/**
 * Pixel boxes of the spans visible in the window, clipped to the bar; every
 * visible span at least 1 px wide so a short recording is never invisible.
 */
export function layoutSpans(spans: readonly Range[], view: Range, width: number): Box[] {
  const out: Box[] = [];
  for (const s of spans) {
    if (s.to <= view.from || s.from >= view.to) continue;
    const left = msToX(Math.max(s.from, view.from), view, width);
    const right = msToX(Math.min(s.to, view.to), view, width);
    out.push({ left, width: Math.max(1, right - left) });
  }
  return out;
}

export interface Tick {
  t: number;
  /** labelled (major) or a minor mark between labels */
  label: string | null;
}

const STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360];

/** The tick spacing (minutes) that puts labels at least `minLabelPx` apart. */
export function tickStepMinutes(view: Range, width: number, minLabelPx = 64): number {
  const pxPerMin = width / ((view.to - view.from) / MINUTE);
  return STEPS_MIN.find((s) => s * pxPerMin >= minLabelPx) ?? STEPS_MIN[STEPS_MIN.length - 1];
}

/**
 * Ticks at local wall-clock multiples of the step (00:00, 03:00, ... in the
 * browser's zone), so on a DST day the labels skip or repeat an hour exactly
 * as the clocks did. Walks absolute time in quarter hours (every zone's
 * offset is a multiple of 15 min) and keeps the local multiples.
 */
export function ticks(view: Range, width: number): Tick[] {
  const step = tickStepMinutes(view, width);
  const minor = STEPS_MIN[Math.max(0, STEPS_MIN.indexOf(step) - 2)];
  const q = Math.min(minor, 15) * MINUTE;
  const out: Tick[] = [];
  for (let t = Math.ceil(view.from / q) * q; t < view.to; t += q) {
    const d = new Date(t);
    const minuteOfDay = d.getHours() * 60 + d.getMinutes();
    if (d.getSeconds() !== 0) continue;
    if (minuteOfDay % step === 0) out.push({ t, label: formatClock(t) });
    else if (minuteOfDay % minor === 0) out.push({ t, label: null });
  }
  return out;
}

/** The recorded span containing t, or the first one after it (for jumping over gaps). */
export function spanAtOrAfter<T extends Range>(spans: readonly T[], t: number): T | null {
  for (const s of spans) if (s.to > t) return s;
  return null;
}
