import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { rulesFromConfig } from '../../src/retention/rules.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-retention-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const load = (yaml: string) => {
  const file = join(dir, `c${++n}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
};

test('defaults: a pass every 10 minutes, no budgets, a 1 GiB / 1% floor', () => {
  const cfg = loadConfig({ argv: [], env: {}, cwd: dir });
  assert.deepEqual(cfg.retention, { schedule: '*/10 * * * *', minFreeBytes: 2 ** 30, minFreePercent: 1 });
  assert.deepEqual(cfg.cameras[0].retention, { days: 14, eventDays: 60 });
});

test('sizes in bytes or with units; budgets per camera and for the volume', () => {
  const cfg = load(`
retention: { schedule: "0 * * * *", maxBytes: 2TB, maxPercent: 90, minFreeBytes: "512 MiB", minFreePercent: 0.5 }
cameras:
  - { id: a, retention: { days: 7, eventDays: 30, maxBytes: 1.5GiB } }
  - { id: b, retention: { maxBytes: 1000 } }
  - { id: c, retention: { maxBytes: null } }
`);
  assert.deepEqual(cfg.retention, { schedule: '0 * * * *', maxBytes: 2e12, maxPercent: 90, minFreeBytes: 512 * 2 ** 20, minFreePercent: 0.5 });
  assert.deepEqual(
    cfg.cameras.map((c) => [c.retention.days, c.retention.eventDays, c.retention.maxBytes]),
    [
      [7, 30, 1.5 * 2 ** 30],
      [14, 60, 1000],
      [14, 60, undefined], // null: no budget
    ],
  );
  const rules = rulesFromConfig(cfg.cameras, cfg.retention);
  assert.deepEqual(rules.cameras.get('a'), { days: 7, eventDays: 30, maxBytes: 1.5 * 2 ** 30 });
  assert.equal(rules.volume.maxBytes, 2e12);
});

for (const [yaml, message] of [
  ['retention: { schedule: "every ten minutes" }', /^config: retention\.schedule: "every ten minutes" is not a cron expression/],
  ['retention: { maxBytes: lots }', /^config: retention\.maxBytes: "lots" is not a size: give bytes/],
  ['retention: { minFreeBytes: -1 }', /^config: retention\.minFreeBytes: -1 is not a size/],
  ['retention: { maxPercent: 0 }', /^config: retention\.maxPercent: /],
  ['retention: { minFreePercent: 60 }', /^config: retention\.minFreePercent: must be <= 50, got 60$/],
  ['retention: { maxByte: 1 }', /^config: retention\.maxByte: unknown key \(known keys: schedule, maxBytes, maxPercent, minFreeBytes, minFreePercent\)$/],
  ['cameras: [{ id: a, retention: { maxBytes: 5 apples } }]', /^config: cameras\[0\]\.retention\.maxBytes: "5 apples" is not a size/],
] as const) {
  test(`bad retention config: ${yaml}`, () => {
    assert.throws(() => load(`${yaml}\n`), (err: Error) => {
      assert.match(err.message, message);
      return true;
    });
  });
}
