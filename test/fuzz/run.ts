/**
 * The long fuzz run: `npm run fuzz [-- --cases N] [--target NAME[,NAME]] [--seed S]`.
 * Runs each target in a worker for its share of N cases (default 1,000,000
 * in total, shared by weight), one target at a time, prints a table of
 * targets, cases, time and failures, and saves every failing input under
 * test/fixtures/fuzz/<target>/ as a regression vector. A case that stops
 * making progress for --hang-ms (default 30 s) is a hang: the worker is
 * stopped and the input that hung is rebuilt from the seed and saved.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { fuzzSeed, VECTORS_DIR } from './harness.js';
import { TARGETS, targetNamed } from './targets.js';

const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'hang-ms': { type: 'string', default: '30000' },
    list: { type: 'boolean', default: false },
  },
});

if (args.list) {
  for (const t of TARGETS) console.log(`${t.name.padEnd(26)} ${t.what}`);
  process.exit(0);
}

const total = Number(args.cases);
if (!Number.isInteger(total) || total < 1) throw new Error(`--cases must be a positive integer, got ${args.cases}`);
if (args.seed !== undefined) process.env.FUZZ_SEED = args.seed;
const seed = fuzzSeed();
const hangMs = Number(args['hang-ms']);
const chosen = args.target ? args.target.flatMap((s) => s.split(',')).map(targetNamed) : TARGETS;
const weightSum = chosen.reduce((s, t) => s + (t.weight ?? 1), 0);

interface Row {
  target: string;
  cases: number;
  ms: number;
  failures: number;
  note: string;
}

function runOne(name: string, numRuns: number): Promise<Row> {
  const counter = new SharedArrayBuffer(4);
  const cases = new Int32Array(counter);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { name, seed, numRuns, counter } });
    let last = 0;
    let lastChange = performance.now();
    let settled = false;
    const finish = (row: Row) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      resolve(row);
    };
    const watch = setInterval(() => {
      const now = Atomics.load(cases, 0);
      if (now !== last) {
        last = now;
        lastChange = performance.now();
        return;
      }
      // a loaded machine can take a while to start a worker (tsx compiles the targets): no hang before the first case
      if (performance.now() - lastChange < (now === 0 ? Math.max(hangMs, 180_000) : hangMs)) return;
      void worker.terminate();
      if (now === 0) {
        finish({ target: name, cases: 0, ms: performance.now() - t0, failures: 1, note: 'worker never started a case' });
        return;
      }
      // the case that hung is the `now`-th this seed generates (fast-check's sample order is its run order)
      const target = targetNamed(name);
      const input = fc.sample(target.arbitrary(), { seed, numRuns: now }).at(-1);
      const dir = new URL(`${name}/`, VECTORS_DIR);
      mkdirSync(dir, { recursive: true });
      const file = new URL(`hang-seed${seed}-case${now}.bin`, dir);
      writeFileSync(file, target.save(input as never));
      console.error(`\nfuzz target "${name}": case ${now} made no progress for ${hangMs} ms (seed ${seed}); input saved as ${file.pathname}`);
      finish({ target: name, cases: now, ms: performance.now() - t0, failures: 1, note: `hang at case ${now}` });
    }, 500);
    worker.on('message', (m: { cases: number; ms: number; report?: string }) => {
      if (m.report) console.error(`\n${m.report}\n`);
      finish({ target: name, cases: m.cases, ms: m.ms, failures: m.report ? 1 : 0, note: m.report ? m.report.split('\n')[1].slice(0, 60) : '' });
    });
    worker.on('error', (err) => {
      console.error(`\nfuzz target "${name}": worker error (seed ${seed}):`, err);
      finish({ target: name, cases: Atomics.load(cases, 0), ms: performance.now() - t0, failures: 1, note: `worker error: ${String(err).slice(0, 50)}` });
    });
    worker.on('exit', () => finish({ target: name, cases: Atomics.load(cases, 0), ms: performance.now() - t0, failures: 1, note: 'worker exited without a result' }));
  });
}

const rows: Row[] = [];
console.log(`fuzzing ${chosen.length} targets, ${total} cases in total, seed ${seed}`);
for (const t of chosen) {
  const numRuns = Math.max(1, Math.round((total * (t.weight ?? 1)) / weightSum));
  const row = await runOne(t.name, numRuns);
  rows.push(row);
  console.log(`  ${row.target.padEnd(26)} ${String(row.cases).padStart(9)} cases ${(row.ms / 1000).toFixed(1).padStart(7)} s ${row.failures ? `FAILED ${row.note}` : 'ok'}`);
}

const sum = rows.reduce((a, r) => ({ cases: a.cases + r.cases, ms: a.ms + r.ms, failures: a.failures + r.failures }), { cases: 0, ms: 0, failures: 0 });
console.log(`\n${'target'.padEnd(26)} ${'cases'.padStart(9)} ${'time s'.padStart(8)} ${'cases/s'.padStart(8)} failures`);
for (const r of [...rows, { target: 'total', ...sum, note: '' }]) {
  console.log(`${r.target.padEnd(26)} ${String(r.cases).padStart(9)} ${(r.ms / 1000).toFixed(1).padStart(8)} ${String(Math.round(r.cases / (r.ms / 1000 || 1))).padStart(8)} ${r.failures}${r.note ? `  ${r.note}` : ''}`);
}
console.log(`seed ${seed}`);
process.exitCode = sum.failures > 0 ? 1 : 0;
