/**
 * `npm run bench`: benchmarks that print tables and compare side by side in
 * the same run. Pick some with arguments: `npm run bench -- listing export`.
 */
import { cpus } from 'node:os';
import { camerasBench } from './cameras.bench.js';
import { exportBench } from './export.bench.js';
import { listingBench } from './listing.bench.js';
import { motionBench } from './motion.bench.js';
import { purgeBench } from './purge.bench.js';
import { liveBench } from './live.bench.js';
import { recorderBench } from './recorder.bench.js';

const benches: Record<string, () => Promise<void>> = {
  listing: listingBench,
  export: exportBench,
  recorder: recorderBench,
  live: liveBench,
  purge: purgeBench,
  motion: motionBench,
  cameras: camerasBench,
};

const chosen = process.argv.slice(2).filter((a) => a in benches);
console.log(`# lan-nvr benchmarks, ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
for (const name of chosen.length ? chosen : Object.keys(benches)) await benches[name]();
