/**
 * One target of the long run, in a worker thread so that the main thread can
 * stop a case that never ends: before each case it bumps a shared counter,
 * which the main thread watches. A failing input is saved here, where the
 * target's own serializer can see it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeFailure, runTarget, saveVector } from './harness.js';
import { targetNamed } from './targets.js';

const { name, seed, numRuns, counter } = workerData as { name: string; seed: number; numRuns: number; counter: SharedArrayBuffer };
const cases = new Int32Array(counter);
const target = targetNamed(name);
const r = await runTarget(target, { seed, numRuns, onCase: () => Atomics.add(cases, 0, 1) });
let report: string | undefined;
if (r.failure) report = describeFailure(r, saveVector(target, r));
parentPort!.postMessage({ target: r.target, seed: r.seed, cases: r.cases, ms: r.ms, report });
