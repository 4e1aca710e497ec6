import net from 'node:net';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { spawnMain, waitForExit, waitForLogLine } from '../helpers/main-process.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-app-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A config on ephemeral loopback ports with its own dataDir. */
function configFile(name: string): { file: string; dataDir: string } {
  const dataDir = join(dir, name, 'data');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `dataDir: ${JSON.stringify(dataDir)}\nrtmp: { port: 0, host: 127.0.0.1 }\nhttp: { port: 0, host: 127.0.0.1 }\n`);
  return { file, dataDir };
}

describe('the real process', () => {
  test('starts on ephemeral ports, serves /api/health over TCP, exits 0 on SIGTERM', async () => {
    const { file, dataDir } = configFile('proc');
    const child = spawnMain(['--config', file]);
    try {
      const listening = await waitForLogLine(child, (l) => l.msg === 'listening');
      const port = listening.http as number;
      assert.ok(Number.isInteger(port) && port > 0, `bound http port in ${JSON.stringify(listening)}`);
      assert.equal(listening.httpUrl, `http://127.0.0.1:${port}/`);

      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(res.status, 200);
      const health = (await res.json()) as Record<string, unknown>;
      assert.equal(health.status, 'ok');
      assert.equal(typeof health.version, 'string');
      assert.ok(existsSync(join(dataDir, 'nvr.sqlite')));

      const exited = waitForExit(child, 5_000);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const exit = await exited;
      assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}; stderr: ${exit.stderr}`);
      assert.ok(Date.now() - t0 < 5_000);
      const messages = exit.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.deepEqual(messages.slice(-2), ['stopping', 'stopped']);
      assert.equal(exit.stderr, '');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('startApp in process', () => {
  test('reports bound ports, serves, and stop() closes rtmp, http and the db (idempotent)', async () => {
    const { file } = configFile('inproc');
    const config = loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
    const app = await startApp(config, createLogger('silent', { pretty: false }));
    assert.ok(app.httpPort > 0);
    assert.ok(app.rtmpPort > 0 && app.rtmpPort !== app.httpPort);
    const cameras = (await (await fetch(`http://127.0.0.1:${app.httpPort}/api/cameras`)).json()) as { id: string; live: boolean }[];
    assert.deepEqual(
      cameras.map((c) => [c.id, c.live]),
      [
        ['cam1', false],
        ['cam2', false],
      ],
    );
    await Promise.all([app.stop(), app.stop()]);
    assert.equal(app.storage.db.open, false);
    await assert.rejects(fetch(`http://127.0.0.1:${app.httpPort}/api/health`));
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(app.rtmpPort, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
  });

  test('a port already in use fails start-up with EADDRINUSE', async () => {
    const first = configFile('busy');
    const a = await startApp(loadConfig({ argv: ['--config', first.file], env: {}, cwd: dir }), createLogger('silent', { pretty: false }));
    try {
      const config = loadConfig({ argv: ['--config', configFile('busy2').file], env: { NVR_HTTP_PORT: String(a.httpPort) }, cwd: dir });
      await assert.rejects(startApp(config, createLogger('silent', { pretty: false })), /EADDRINUSE/);
    } finally {
      await a.stop();
    }
  });
});
