/**
 * Running a target with fast-check: a fixed seed per run (FUZZ_SEED, or a
 * random one that every failure message prints), a case budget and/or a time
 * budget, and a failure report that says how to replay it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { property, type FuzzTarget } from './target.js';

export const VECTORS_DIR = new URL('../fixtures/fuzz/', import.meta.url);

/** FUZZ_SEED from the environment, else a fresh one (printed with any failure). */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got "${env}"`);
    return n | 0;
  }
  return (Math.random() * 0x7fffffff) | 0;
}

export interface RunResult {
  target: string;
  seed: number;
  cases: number;
  ms: number;
  failure?: { message: string; path: string; input: unknown };
}

export interface RunOptions {
  seed: number;
  numRuns: number;
  /** stop (without failing) after this long */
  timeLimitMs?: number;
  /** called before each case (the long run's watchdog counts them) */
  onCase?: () => void;
}

export async function runTarget(target: FuzzTarget<never>, opts: RunOptions): Promise<RunResult> {
  const params: fc.Parameters<[never]> = {
    seed: opts.seed,
    numRuns: opts.numRuns,
    ...(opts.timeLimitMs ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}),
  };
  const t0 = performance.now();
  const prop = property(target, opts.onCase);
  const details = (target.async ? await fc.check(prop as fc.IAsyncProperty<[never]>, params) : fc.check(prop as fc.IProperty<[never]>, params)) as fc.RunDetails<[never]>;
  const result: RunResult = { target: target.name, seed: opts.seed, cases: details.numRuns, ms: performance.now() - t0 };
  if (details.failed) {
    const err = details.errorInstance;
    const message = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 6).join('\n') ?? ''}` : String(err);
    result.failure = { message, path: details.counterexamplePath ?? '', input: details.counterexample?.[0] };
  }
  return result;
}

/** The one-paragraph report of a failure: what broke, and how to replay it. */
export function describeFailure(r: RunResult, savedAs?: string): string {
  const f = r.failure!;
  const input = f.input;
  const shown = Buffer.isBuffer(input) ? `${input.length} bytes: ${input.subarray(0, 96).toString('hex')}${input.length > 96 ? '...' : ''}` : '(structured input)';
  return [
    `fuzz target "${r.target}" failed after ${r.cases} cases (seed ${r.seed}, path ${f.path})`,
    f.message,
    `input ${shown}`,
    savedAs ? `saved as ${savedAs}` : '',
    `replay: FUZZ_SEED=${r.seed} npm run fuzz -- --target ${r.target} --cases ${r.cases}`,
  ].filter(Boolean).join('\n');
}

/** Saves a failing input as a regression vector; returns its path. */
export function saveVector(target: FuzzTarget<never>, r: RunResult, name = `found-seed${r.seed}`): string {
  const dir = new URL(`${target.name}/`, VECTORS_DIR);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.bin`, dir);
  writeFileSync(file, target.save(r.failure!.input as never));
  return file.pathname;
}
