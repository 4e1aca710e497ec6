import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { spawnMain, waitForExit } from '../helpers/main-process.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes YAML to a fresh file in the temp dir and returns its path. */
function yamlFile(text: string): string {
  const file = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  test('embedded defaults load with no file and no env', () => {
    const cfg = loadConfig({ argv: [], env: {}, cwd: dir });
    assert.equal(cfg.dataDir, join(dir, 'data'));
    assert.deepEqual(cfg.rtmp, {
      port: 1935,
      host: '0.0.0.0',
      allowPublishFrom: [],
      tls: { enabled: false, port: 1936, host: '0.0.0.0', cert: null, key: null },
      limits: {
        maxConnections: 256,
        maxConnectionsPerAddress: 32,
        maxMessageBytes: 16 * 1024 * 1024,
        maxChunkSize: 0xffffff,
        maxChunkStreams: 64,
        handshakeTimeoutMs: 10_000,
        idleTimeoutMs: 15_000,
        staleTakeoverMs: 5_000,
      },
    });
    assert.deepEqual(cfg.http, {
      port: 8080,
      host: '0.0.0.0',
      limits: { maxBodyBytes: 1024 * 1024, maxRangeDays: 31, requestTimeoutMs: 30_000, headersTimeoutMs: 15_000, maxEventsPerRequest: 10_000, maxExports: 4, maxExportsPerClient: 2 },
    });
    assert.deepEqual(cfg.live, { maxViewers: 200, maxViewersPerCamera: 50, maxViewerBacklogBytes: 4 * 1024 * 1024, maxViewerLagMs: 10_000 });
    assert.equal(cfg.log.level, 'info');
    assert.equal(cfg.auth.enabled, true, 'access control on by default (test/auth/password-hash.test.ts checks the whole section)');
    assert.deepEqual(
      cfg.cameras.map((c) => c.id),
      ['cam1', 'cam2'],
    );
    // cam2 only names id and name: the rest are the per-camera defaults.
    assert.deepEqual(cfg.cameras[1], {
      id: 'cam2',
      name: 'Camera 2',
      recording: { enabled: true, format: 'flv', segmentSeconds: 60 },
      motion: { enabled: true, sensitivity: 50, minAreaPercent: null, zones: [], masks: [], decodeFps: 0, minFrames: 1, endSeconds: 6, maxEventSeconds: 600 },
      retention: { days: 14, eventDays: 60 },
    });
  });

  test('a user file merges over the defaults: objects merge, lists replace', () => {
    const file = yamlFile(`
http: { port: 9000 }
rtmp:
  limits: { maxConnections: 10 }
cameras:
  - id: front-door
    streamKey: s3cret
    recording: { format: mp4 }
`);
    const cfg = loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
    assert.deepEqual({ ...cfg.http, limits: undefined }, { port: 9000, host: '0.0.0.0', limits: undefined });
    assert.equal(cfg.http.limits.maxBodyBytes, 1024 * 1024);
    assert.equal(cfg.rtmp.port, 1935);
    assert.equal(cfg.rtmp.limits.maxConnections, 10);
    assert.equal(cfg.rtmp.limits.maxChunkStreams, 64);
    assert.deepEqual(cfg.cameras, [
      {
        id: 'front-door',
        name: 'front-door',
        streamKey: 's3cret',
        recording: { enabled: true, format: 'mp4', segmentSeconds: 60 },
        motion: { enabled: true, sensitivity: 50, minAreaPercent: null, zones: [], masks: [], decodeFps: 0, minFrames: 1, endSeconds: 6, maxEventSeconds: 600 },
        retention: { days: 14, eventDays: 60 },
      },
    ]);
  });

  test('NVR_CONFIG names the file; --config wins over it; --config=FILE works', () => {
    const a = yamlFile('http: { port: 9001 }\n');
    const b = yamlFile('http: { port: 9002 }\n');
    assert.equal(loadConfig({ argv: [], env: { NVR_CONFIG: a }, cwd: dir }).http.port, 9001);
    assert.equal(loadConfig({ argv: ['--config', b], env: { NVR_CONFIG: a }, cwd: dir }).http.port, 9002);
    assert.equal(loadConfig({ argv: [`--config=${b}`], env: {}, cwd: dir }).http.port, 9002);
    // Relative to the cwd.
    assert.equal(loadConfig({ argv: ['--config', 'config-1.yaml'], env: {}, cwd: dir }).http.port, 9000);
  });

  test('env overrides win over the file; dataDir resolves against the cwd', () => {
    const file = yamlFile('dataDir: /srv/nvr\nrtmp: { port: 1000 }\nhttp: { port: 2000 }\n');
    const cfg = loadConfig({
      argv: ['--config', file],
      env: { NVR_DATA_DIR: 'rel/data', NVR_RTMP_PORT: '0', NVR_HTTP_PORT: '8888' },
      cwd: dir,
    });
    assert.equal(cfg.dataDir, join(dir, 'rel', 'data'));
    assert.equal(cfg.rtmp.port, 0);
    assert.equal(cfg.http.port, 8888);
    assert.equal(loadConfig({ argv: ['--config', file], env: { NVR_HTTP_PORT: '' }, cwd: dir }).http.port, 2000);
  });

  // Each bad input and the exact one line it must produce.
  const bad: { name: string; yaml?: string; env?: Record<string, string>; argv?: string[]; message: string | RegExp }[] = [
    {
      name: 'camera id with a space',
      yaml: 'cameras:\n  - id: ok\n  - id: Front Door\n',
      message: 'config: cameras[1].id: "Front Door" must match [a-z0-9][a-z0-9_-]{0,63}',
    },
    { name: 'duplicate camera ids', yaml: 'cameras: [{id: a}, {id: b}, {id: a}]\n', message: 'config: cameras[2].id: duplicate id "a" (cameras[0].id has it too)' },
    { name: 'camera without id', yaml: 'cameras: [{name: Door}]\n', message: 'config: cameras[0].id: is required' },
    {
      name: 'misspelt nested key',
      yaml: 'cameras:\n  - id: a\n    recording: { segmentSecs: 10 }\n',
      message: 'config: cameras[0].recording.segmentSecs: unknown key (known keys: enabled, format, segmentSeconds)',
    },
    { name: 'misspelt top-level key', yaml: 'dataDri: /x\n', message: /^config: dataDri: unknown key \(known keys: dataDir, rtmp, http, recording, retention, motion, alerts, live, log, cameras, maxCameras, auth\)$/ },
    { name: 'port as a word', yaml: 'http: { port: eighty }\n', message: 'config: http.port: expected a number, got "eighty"' },
    { name: 'fractional port', yaml: 'rtmp: { port: 1935.5 }\n', message: 'config: rtmp.port: expected an integer, got 1935.5' },
    { name: 'segment too long', yaml: 'cameras: [{id: a, recording: {segmentSeconds: 3601}}]\n', message: 'config: cameras[0].recording.segmentSeconds: must be <= 3600, got 3601' },
    { name: 'segment zero', yaml: 'cameras: [{id: a, recording: {segmentSeconds: 0}}]\n', message: 'config: cameras[0].recording.segmentSeconds: must be >= 1, got 0' },
    { name: 'unknown format', yaml: 'cameras: [{id: a, recording: {format: mkv}}]\n', message: 'config: cameras[0].recording.format: "mkv" must be one of: flv, mp4' },
    { name: 'cameras not a list', yaml: 'cameras: { id: a }\n', message: 'config: cameras: expected a list, got a mapping' },
    { name: 'empty section', yaml: 'rtmp:\n', message: 'config: rtmp: expected a mapping, got null' },
    { name: 'stream key with a URL delimiter', yaml: 'cameras: [{id: a, streamKey: "a&b"}]\n', message: 'config: cameras[0].streamKey: "a&b" must match [A-Za-z0-9._~-]{1,256}' },
    { name: 'same port twice', yaml: 'rtmp: { port: 9000 }\nhttp: { port: 9000 }\n', message: 'config: http.port: 9000 is also rtmp.port' },
    { name: 'auth.enabled not a boolean', yaml: 'auth: { enabled: yes please }\n', message: 'config: auth.enabled: expected true or false, got "yes please"' },
    { name: 'env port not a number', env: { NVR_RTMP_PORT: 'abc' }, message: 'config: rtmp.port: expected a number, got "abc" (from NVR_RTMP_PORT)' },
    { name: 'env port out of range', env: { NVR_HTTP_PORT: '70000' }, message: 'config: http.port: must be <= 65535, got 70000 (from NVR_HTTP_PORT)' },
    { name: 'YAML syntax error', yaml: 'cameras:\n  - id: a\n   name: b\n', message: /^config: \/.*config-\d+\.yaml:3:1: Sequence item without - indicator$/ },
    { name: 'YAML duplicate key', yaml: 'http: { port: 1 }\nhttp: { port: 2 }\n', message: /^config: \/.*config-\d+\.yaml:2:1: Map keys must be unique$/ },
    { name: 'a list at the top level', yaml: '- a\n', message: /^config: \/.*config-\d+\.yaml: expected a mapping of keys at the top level$/ },
    { name: 'missing --config file', argv: ['--config', '/nonexistent/nvr.yaml'], message: 'config: cannot read /nonexistent/nvr.yaml: no such file' },
    { name: 'unknown argument', argv: ['--port', '1'], message: 'config: unknown command-line argument "--port" (the only one is --config FILE)' },
  ];
  for (const c of bad) {
    test(`bad config: ${c.name}`, () => {
      const argv = c.argv ?? (c.yaml !== undefined ? ['--config', yamlFile(c.yaml)] : []);
      assert.throws(
        () => loadConfig({ argv, env: c.env ?? {}, cwd: dir }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
          assert.equal(err.code, 'CONFIG');
          assert.doesNotMatch(err.message, /\n/);
          if (typeof c.message === 'string') assert.equal(err.message, c.message);
          else assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }
});

describe('main with a bad config', () => {
  test('exits 2 with one line on stderr and nothing on stdout', async () => {
    const file = yamlFile('cameras:\n  - id: Front Door\n');
    const exit = await waitForExit(spawnMain(['--config', file]));
    assert.equal(exit.code, 2);
    assert.equal(exit.stderr, 'config: cameras[0].id: "Front Door" must match [a-z0-9][a-z0-9_-]{0,63}\n');
    assert.equal(exit.stdout, '');
  });
});
