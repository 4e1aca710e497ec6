/**
 * Every input a fuzz run found breaking a parser, kept under
 * test/fixtures/fuzz/<target>/<name>.bin, replayed through its target: the
 * property must hold now, within the slow-case limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VECTORS_DIR } from './harness.js';
import { SLOW_CASE_MS } from './target.js';
import { targetNamed } from './targets.js';

const dirs = readdirSync(VECTORS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());

for (const dir of dirs) {
  const target = targetNamed(dir.name);
  for (const file of readdirSync(new URL(`${dir.name}/`, VECTORS_DIR)).filter((f) => f.endsWith('.bin')).sort()) {
    test(`fuzz regression ${dir.name}/${file}`, async () => {
      const input = target.load(readFileSync(new URL(`${dir.name}/${file}`, VECTORS_DIR)));
      const t0 = performance.now();
      await target.run(input as never);
      const ms = performance.now() - t0;
      if (ms > SLOW_CASE_MS) throw new Error(`${dir.name}/${file} took ${Math.round(ms)} ms`);
    });
  }
}
