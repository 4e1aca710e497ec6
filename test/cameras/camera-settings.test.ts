import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cameraSettingsJson, publishHost } from '../../src/cameras/camera-settings.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { cameraSchema } from '../../src/config/schema.js';

test('publish host: a fixed rtmp.host as is (IPv6 bracketed); a wildcard takes the request Host without its port', () => {
  assert.equal(publishHost('192.168.1.5', 'nvr.lan:8080', 'fallback'), '192.168.1.5');
  assert.equal(publishHost('fd00::5', 'nvr.lan', 'fallback'), '[fd00::5]');
  assert.equal(publishHost('0.0.0.0', 'nvr.lan:8080', 'fallback'), 'nvr.lan');
  assert.equal(publishHost('::', '[fd00::5]:8080', 'fallback'), '[fd00::5]');
  assert.equal(publishHost('0.0.0.0', '192.168.1.7', 'fallback'), '192.168.1.7');
  // nothing odd from a Host header goes into a URL
  assert.equal(publishHost('0.0.0.0', 'evil.com/x?y', 'fallback'), 'fallback');
  assert.equal(publishHost('0.0.0.0', 'a@b', 'fallback'), 'fallback');
  assert.equal(publishHost('0.0.0.0', undefined, 'fallback'), 'fallback');
});

test('settings JSON: every setting with its effective value, and the publish URL with and without a key', () => {
  const cam = { ...cameraSchema.parse({ id: 'door', streamKey: 'k.1', motion: { masks: [{ points: [[0, 0], [1, 0], [1, 1]] }] } }), source: 'api' as const };
  const s = cameraSettingsJson(cam, { host: '0.0.0.0', port: 1935 }, 'nvr.lan:8080', 'x');
  assert.deepEqual(s, {
    id: 'door',
    name: 'door',
    source: 'api',
    streamKey: 'k.1',
    publishFrom: [],
    recording: { enabled: true, format: 'flv', segmentSeconds: 60 },
    motion: {
      enabled: true,
      sensitivity: 50,
      minAreaPercent: null,
      zones: [],
      masks: [{ points: [[0, 0], [1, 0], [1, 1]] }],
      decodeFps: 0,
      minFrames: 1,
      endSeconds: 6,
      maxEventSeconds: 600,
    },
    retention: { days: 14, eventDays: 60, maxBytes: null },
    publish: { url: 'rtmp://nvr.lan:1935/live/door?key=k.1', serverUrl: 'rtmp://nvr.lan:1935/live', streamName: 'door?key=k.1', tls: null },
  });
  // every motion key of the schema is there: the UI edits them all
  assert.deepEqual(Object.keys(s.motion).sort(), Object.keys(cam.motion).sort());
  const open = cameraSettingsJson({ ...cam, streamKey: undefined }, { host: '10.0.0.2', port: 1935 }, 'nvr.lan', 'x', { host: '::', port: 1936 });
  assert.deepEqual(open.publish, {
    url: 'rtmp://10.0.0.2:1935/live/door',
    serverUrl: 'rtmp://10.0.0.2:1935/live',
    streamName: 'door',
    tls: { url: 'rtmps://nvr.lan:1936/live/door', serverUrl: 'rtmps://nvr.lan:1936/live' },
  });
  assert.equal(open.streamKey, null);
});

test('maxCameras is validated, and the config file alone may not exceed it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-maxcam-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (yaml: string) => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, yaml);
    return loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
  };
  assert.equal(load('auth: { enabled: false }\n').maxCameras, 256);
  assert.throws(() => load('maxCameras: 0\n'), (e: unknown) => e instanceof ConfigError && e.message === 'config: maxCameras: must be >= 1, got 0');
  assert.throws(
    () => load('maxCameras: 1\ncameras: [{ id: a }, { id: b }]\n'),
    (e: unknown) => e instanceof ConfigError && e.message === 'config: cameras: 2 cameras, more than maxCameras (1)',
  );
});
