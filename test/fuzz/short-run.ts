/**
 * The short fuzz run inside `npm test`: each target of a group for a fixed
 * time (FUZZ_MS, default 300 ms) with this run's seed (FUZZ_SEED, printed on
 * failure). `npm run fuzz` is the long run.
 */
import { test } from 'node:test';
import { describeFailure, fuzzSeed, runTarget } from './harness.js';
import { TARGET_GROUPS } from './targets.js';

const MS = Number(process.env.FUZZ_MS ?? 300);

export function shortRun(group: string): void {
  const seed = fuzzSeed();
  for (const target of TARGET_GROUPS[group]) {
    test(`fuzz ${target.name}: ${target.what}`, async (t) => {
      const r = await runTarget(target, { seed, numRuns: 1_000_000, timeLimitMs: MS });
      t.diagnostic(`${r.cases} cases in ${Math.round(r.ms)} ms, seed ${seed}`);
      if (r.failure) throw new Error(describeFailure(r));
    });
  }
}
