import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { cameraMotionSettings } from '../../src/motion/start-motion.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-motion-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const load = (yaml: string) => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
};

test('defaults: motion and alerts sections, per-camera motion settings', () => {
  const cfg = load('cameras: [{ id: a }]\n');
  assert.deepEqual(cfg.motion, { ffmpegPath: null, thumbnailWidth: 320, jpegQuality: 70, thumbnailIntervalMs: 1000, restartMinMs: 1000, restartMaxMs: 60_000 });
  assert.deepEqual(cfg.alerts.webhooks, []);
  assert.equal(cfg.alerts.mqtt.enabled, false);
  const s = cameraMotionSettings(cfg.cameras[0].motion);
  assert.deepEqual(s.tracker, { minFrames: 1, endMs: 6000, maxEventMs: 600_000 });
  assert.equal(s.extraFps, null);
});

test('zones, masks, webhooks with their defaults', () => {
  const cfg = load(`
cameras:
  - id: a
    motion:
      sensitivity: 80
      decodeFps: 2
      zones: [{ name: drive way, points: [[0, 0.5], [1, 0.5], [1, 1]] }]
      masks: [{ points: [[0, 0], [1, 0], [1, 0.1]] }]
alerts:
  webhooks: [{ url: "https://hooks.example/nvr", cameras: [a] }]
`);
  const m = cfg.cameras[0].motion;
  assert.equal(m.zones[0].name, 'drive way');
  assert.equal(cameraMotionSettings(m).extraFps, 2);
  assert.deepEqual(cfg.alerts.webhooks[0], { url: 'https://hooks.example/nvr', cameras: ['a'], phases: ['start', 'end'], headers: {}, timeoutMs: 5000, retries: 3 });
});

for (const [yaml, message] of [
  ['alerts: { webhooks: [{ url: "ftp://x" }] }', 'config: alerts.webhooks[0].url: "ftp://x" is not a valid url'],
  ['cameras: [{ id: a }]\nalerts: { webhooks: [{ url: "http://x", cameras: [nope] }] }', 'config: alerts.webhooks[0].cameras[0]: no camera "nope" in cameras'],
  ['cameras: [{ id: a, motion: { zones: [{ name: z, points: [[0,0],[1,0]] }] } }]', 'config: cameras[0].motion.zones[0].points: must have at least 3 entries'],
  ['cameras: [{ id: a, motion: { zones: [{ name: z, points: [[0,0],[1.5,0],[1,1]] }] } }]', 'config: cameras[0].motion.zones[0].points[1][0]: must be <= 1, got 1.5'],
  ['motion: { restartMinMs: 5000, restartMaxMs: 1000 }', 'config: motion.restartMaxMs: must be >= motion.restartMinMs (5000)'],
] as const) {
  test(`bad: ${message}`, () => {
    assert.throws(() => load(yaml), (err: unknown) => err instanceof ConfigError && err.message === message);
  });
}
