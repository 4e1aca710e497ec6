import type { Segments } from '../storage/segments.js';
import type { PlanRow } from './planner.js';

/** Rows read per page: well under a millisecond of SQLite per read. */
export const PAGE_ROWS = 500;

/**
 * One camera's rows, oldest first, a page at a time (keyset on start_ms, so
 * rows deleted behind the cursor don't shift it). A page never ends inside a
 * run of equal start_ms (at most ten: segmentPath's suffixes), so none is
 * skipped.
 */
export function* cameraPages(segments: Segments, cameraId: string, pageRows = PAGE_ROWS): Generator<PlanRow[]> {
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    let page: PlanRow[] = segments.oldestAfter(cameraId, after, pageRows);
    if (page.length === 0) return;
    if (page.length === pageRows) {
      const last = page[page.length - 1].startMs;
      const whole = page.filter((r) => r.startMs !== last);
      if (whole.length > 0) page = whole;
    }
    after = page[page.length - 1].startMs;
    yield page;
  }
}

/** All cameras' rows merged oldest first (by start, across cameras), a page at a time. */
export function* mergedPages(segments: Segments, cameraIds: readonly string[], pageRows = PAGE_ROWS): Generator<PlanRow[]> {
  const heads = cameraIds.map((id) => ({ pages: cameraPages(segments, id, pageRows), page: [] as PlanRow[], i: 0, done: false }));
  const refill = (h: (typeof heads)[number]): void => {
    if (h.done || h.i < h.page.length) return;
    const next = h.pages.next();
    if (next.done) h.done = true;
    else {
      h.page = next.value;
      h.i = 0;
    }
  };
  for (;;) {
    const out: PlanRow[] = [];
    while (out.length < pageRows) {
      let best: (typeof heads)[number] | null = null;
      for (const h of heads) {
        refill(h);
        if (!h.done && (!best || h.page[h.i].startMs < best.page[best.i].startMs)) best = h;
      }
      if (!best) break;
      out.push(best.page[best.i++]);
    }
    if (out.length === 0) return;
    yield out;
  }
}
