/**
 * A/B of two builds of our server under the same load at the same time, so
 * the noise of a shared machine hits both alike: each gets its own N cameras
 * from its own load generator, run concurrently; CPU per camera-minute over
 * the same window, repeated.
 *   node --import tsx test/bench/ab-ours.ts ROOT_A ROOT_B [N=16] [WINDOW_S=15] [RUNS=3]
 * (each root: a built checkout, e.g. `git archive HEAD` into a folder + npm run build)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/main-process.js';
import type { LoadOptions } from './camera-load.js';
import { benchClip } from './fixture.js';
import { sampleTree } from './proc-stats.js';
import { startServer } from './rtmp-servers.js';
import { median } from './table.js';

const [a, b] = [process.argv[2], process.argv[3]];
const n = Number(process.argv[4] ?? 16);
const windowS = Number(process.argv[5] ?? 15);
const runs = Number(process.argv[6] ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function once(): Promise<[number, number]> {
  const cams = Array.from({ length: n }, (_, i) => `cam${i + 1}`);
  const dirs = [a, b].map(() => mkdtempSync(join(tmpdir(), 'nvr-ab-')));
  const servers = await Promise.all([a, b].map((root, i) => startServer('ours', dirs[i], cams, root)));
  process.stderr.write(`servers on ${servers.map((s) => s.port).join(', ')}\n`);
  try {
    await sleep(1000);
    const opts = (port: number): LoadOptions => ({ port, clip: benchClip(), cameras: cams, staggerMs: 2000 / n, warmupMs: 3000, windowMs: windowS * 1000, players: 0, lagWarmupMs: 0, lagWindowMs: 0, chunkSize: 4096 });
    const gens = servers.map((s) => spawn(process.execPath, ['--import', 'tsx', 'test/bench/camera-load.ts', JSON.stringify(opts(s.port))], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
    await Promise.all(
      gens.map(
        (g) =>
          new Promise<void>((resolve, reject) => {
            let err = '';
            g.stderr.on('data', (d: Buffer) => ((err += d), err.includes('ready') && resolve()));
            g.on('close', (code) => reject(new Error(`load generator exited ${code} before ready: ${err}`)));
          }),
      ),
    );
    await sleep(3000);
    const s1 = servers.map((s) => sampleTree(s.pid).cpuS);
    await sleep(windowS * 1000);
    const s2 = servers.map((s) => sampleTree(s.pid).cpuS);
    await Promise.all(gens.map((g) => new Promise((r) => g.on('close', r))));
    const per = (i: number) => (s2[i] - s1[i]) / ((n * windowS) / 60);
    return [per(0), per(1)];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const results: [number, number][] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.log(`run ${i + 1}: A ${r[0].toFixed(3)}  B ${r[1].toFixed(3)} CPU s per camera-minute  (B/A ${(r[1] / r[0]).toFixed(2)})`);
}
console.log(`median B/A: ${median(results.map(([x, y]) => y / x)).toFixed(2)}  (A ${median(results.map((r) => r[0])).toFixed(3)}, B ${median(results.map((r) => r[1])).toFixed(3)})`);
