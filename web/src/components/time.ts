/**
 * Times as people read them, in the browser's own time zone (the API speaks
 * ISO-8601 UTC and epoch ms). One formatter each: constructing them is slow.
 */
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const formatTime = (ms: number): string => timeFmt.format(ms);
export const formatDateTime = (ms: number): string => dateTimeFmt.format(ms);

/** "1 min 5 s", "12 s": an event's length. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar day (YYYY-MM-DD) an instant falls on: what the timeline's `day` means. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Local midnight of a YYYY-MM-DD day and of the next one, as epoch ms. Built
 * from calendar fields, so a 23- or 25-hour daylight-saving day comes out right.
 */
export function dayRange(day: string): { fromMs: number; toMs: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const fromMs = new Date(y, mo, d).getTime();
  const toMs = new Date(y, mo, d + 1).getTime();
  return Number.isFinite(fromMs) ? { fromMs, toMs } : null;
}
