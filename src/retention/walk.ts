import type { EventSpans } from './event-spans.js';
import { planPage, type PlanRow, type Tier } from './planner.js';
import type { Purger } from './purger.js';
import type { RetentionRules } from './rules.js';
import { turn } from './turn.js';

export interface WalkResult {
  deleted: number;
  freedBytes: number;
  /** bytes the walk could not free: nothing deletable was left */
  need: number;
}

export interface Walker {
  purger: Purger;
  rules: RetentionRules;
  events: EventSpans;
  stopping: () => boolean;
  /** between two pages: an urgent floor check may run here */
  between: () => Promise<void>;
}

/**
 * Pages of rows, oldest first, through the planner; what it picks is deleted
 * before the next page is read. The unprotected walk first, then, if bytes
 * are still needed, the protected one (footage around events goes last).
 */
export async function walkTiers(w: Walker, pages: () => Iterable<PlanRow[]>, need: number, age: boolean, now: number): Promise<WalkResult> {
  const first = await walk(w, pages(), 'unprotected', need, age, now);
  if (first.need <= 0 || w.stopping()) return first;
  const second = await walk(w, pages(), 'protected', first.need, false, now);
  return { deleted: first.deleted + second.deleted, freedBytes: first.freedBytes + second.freedBytes, need: second.need };
}

async function walk(w: Walker, pages: Iterable<PlanRow[]>, tier: Tier, need: number, age: boolean, now: number): Promise<WalkResult> {
  const out: WalkResult = { deleted: 0, freedBytes: 0, need };
  if (need <= 0 && !age) return out;
  for (const page of pages) {
    if (w.stopping()) break;
    const plan = planPage(page, { now, rules: w.rules, events: w.events, need: out.need, tier, age });
    out.need = plan.need;
    if (plan.remove.length > 0) {
      const r = await w.purger.purge(plan.remove, w.stopping);
      out.deleted += r.deleted;
      out.freedBytes += r.freedBytes;
    }
    if (plan.done) break;
    await turn();
    await w.between();
  }
  return out;
}
