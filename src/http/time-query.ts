import { HttpError } from './errors.js';

/** Longest range one listing may cover; bounds the rows (and JSON) one request can cost. */
export const MAX_RANGE_MS = 31 * 24 * 60 * 60 * 1000;

/** Range used when `from` is omitted: the day before `to`. */
export const DEFAULT_RANGE_MS = 24 * 60 * 60 * 1000;

// Times outside this are typos (epoch seconds, a year off by centuries), not recordings.
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);

// RFC 3339 profile of ISO-8601: date, time, optional fraction, then a zone.
// A space where the offset's sign belongs is a '+' decoded from an unescaped query string.
const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+\- ])(\d{2}):?(\d{2}))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DIGITS = /^\d{1,16}$/;

const FORMATS = 'give ISO-8601 with a zone (2026-11-25T14:00:00Z, 2026-11-25T15:00:00+01:00) or epoch milliseconds';

/** ms UTC as the API writes times in answers. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** A query-string time (ISO-8601 with a zone, or epoch ms) as ms UTC; 400 BAD_TIME otherwise. */
export function parseTime(value: string, name: string): number {
  const v = value.trim();
  const bad = (why: string): HttpError => new HttpError(400, 'BAD_TIME', `${name}: ${quote(value)} ${why}`);
  let ms: number;
  if (DIGITS.test(v)) {
    ms = Number(v);
    if (ms < MIN_MS || ms > MAX_MS) {
      const hint = ms >= MIN_MS / 1000 && ms <= MAX_MS / 1000 ? ' (it looks like epoch seconds; multiply by 1000)' : '';
      throw bad(`is outside 2000..2200 as epoch milliseconds${hint}`);
    }
    return ms;
  }
  const m = ISO.exec(v);
  if (!m) {
    if (DATE_ONLY.test(v)) throw bad(`has no time of day or zone; ${FORMATS}`);
    throw bad(`is not a time; ${FORMATS}`);
  }
  const [, y, mo, d, h, mi, s = '0', frac = '', z, sign, oh, om] = m;
  if (!z && !sign) throw bad('has no time zone, so it is ambiguous; add Z for UTC or an offset such as +01:00');
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw bad('is not a valid date and time');
  }
  let offsetMin = 0;
  if (sign) {
    if (Number(oh) > 23 || Number(om) > 59) throw bad('has an invalid zone offset');
    offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  // Milliseconds are the API's resolution; finer digits are truncated.
  const millis = Number(frac.slice(0, 3).padEnd(3, '0'));
  ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
  if (ms < MIN_MS || ms > MAX_MS) throw bad('is outside the years 2000..2200');
  return ms;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/**
 * `from`/`to` of a listing query. `to` defaults to now, `from` to a day before
 * `to`; empty values count as omitted. 400 for bad times, an empty or reversed
 * range (BAD_RANGE), or one longer than maxRangeMs (RANGE_TOO_LARGE).
 */
export function rangeQuery(query: unknown, now: number, maxRangeMs: number = MAX_RANGE_MS): TimeRange {
  const q = (query ?? {}) as Record<string, unknown>;
  const to = param(q, 'to');
  const from = param(q, 'from');
  const toMs = to === undefined ? now : parseTime(to, 'to');
  const fromMs = from === undefined ? toMs - DEFAULT_RANGE_MS : parseTime(from, 'from');
  if (fromMs >= toMs) {
    throw new HttpError(400, 'BAD_RANGE', `from (${isoUtc(fromMs)}) must be before to (${isoUtc(toMs)})`);
  }
  if (toMs - fromMs > maxRangeMs) {
    throw new HttpError(
      400,
      'RANGE_TOO_LARGE',
      `from..to spans ${formatDays(toMs - fromMs)} days; at most ${formatDays(maxRangeMs)} days per request (http.limits.maxRangeDays), split the range`,
    );
  }
  return { fromMs, toMs };
}

function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, 'BAD_TIME', `${name}: give it once`);
  return v;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function formatDays(ms: number): string {
  return String(Math.round((ms / DEFAULT_RANGE_MS) * 100) / 100);
}

/** The value as given, shortened so a huge parameter cannot bloat the error or the log. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
