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
function configFile(name: string, extra = ''): { file: string; dataDir: string } {
  const dataDir = join(dir, name, 'data');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `dataDir: ${JSON.stringify(dataDir)}\nrtmp: { port: 0, host: 127.0.0.1 }\nhttp: { port: 0, host: 127.0.0.1 }\n${extra}`);
  return { file, dataDir };
}

describe('the real process', () => {
  test('starts on ephemeral ports, serves /api/health over TCP, exits 0 on SIGTERM; the first start prints the admin password once', async () => {
    const { file, dataDir } = configFile('proc');
    const child = spawnMain(['--config', file]);
    let allOut = '';
    let allErr = '';
    child.stdout.on('data', (d: Buffer) => (allOut += d.toString()));
    child.stderr.on('data', (d: Buffer) => (allErr += d.toString()));
    try {
      // defaults: access control on, no users: the first start makes `admin` and says its password, once
      const firstAdmin = await waitForLogLine(child, (l) => l.module === 'auth' && l.level === 40 && l.user === 'admin');
      const password = /with password (\S+) \(shown only this once/.exec(firstAdmin.msg as string)?.[1] ?? '';
      assert.ok(password.length >= 16, `password in ${JSON.stringify(firstAdmin)}`);
      assert.match(firstAdmin.msg as string, /npm run hash-password/);
      const listening = await waitForLogLine(child, (l) => l.msg === 'listening');
      const port = listening.http as number;
      assert.ok(Number.isInteger(port) && port > 0, `bound http port in ${JSON.stringify(listening)}`);
      assert.equal(listening.httpUrl, `http://127.0.0.1:${port}/`);

      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      assert.equal(res.status, 200);
      const health = (await res.json()) as Record<string, unknown>;
      assert.equal(health.status, 'ok');
      assert.equal(health.version, undefined, 'health is public but tells strangers no version');
      assert.ok(existsSync(join(dataDir, 'nvr.sqlite')));
      // the API is closed to strangers and open to the printed password
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/cameras`)).status, 401);
      const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      assert.equal(login.status, 200);
      const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/cameras`, { headers: { cookie } })).status, 200);

      const exited = waitForExit(child, 5_000);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const exit = await exited;
      assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}; stderr: ${exit.stderr}`);
      assert.ok(Date.now() - t0 < 5_000);
      const messages = exit.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.deepEqual(messages.slice(-2), ['stopping', 'stopped']);
      assert.match(allErr, new RegExp(`created the NVR user "admin" with password\\n\\n\\s+${password}\\n`));
      assert.equal(allOut.split(password).length - 1, 1, 'the password is in the log exactly once, in one line');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // the second start on the same data directory prints no password
    const again = spawnMain(['--config', file]);
    let againOut = '';
    let againErr = '';
    again.stdout.on('data', (d: Buffer) => (againOut += d.toString()));
    again.stderr.on('data', (d: Buffer) => (againErr += d.toString()));
    try {
      const up = await waitForLogLine(again, (l) => l.msg === 'listening');
      // one answer first: the signal handlers are installed just after the listening line
      assert.equal((await fetch(`http://127.0.0.1:${up.http}/api/health`)).status, 200);
      const exited = waitForExit(again, 5_000);
      again.kill('SIGTERM');
      const exit = await exited;
      assert.equal(exit.code, 0);
      assert.equal(againErr, '');
      assert.doesNotMatch(againOut, /password/i);
    } finally {
      if (again.exitCode === null) again.kill('SIGKILL');
    }
  });
});

describe('startApp in process', () => {
  test('reports bound ports, serves, and stop() closes rtmp, http and the db (idempotent)', async () => {
    const { file } = configFile('inproc', 'auth: { enabled: false }\n');
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
    const first = configFile('busy', 'auth: { enabled: false }\n');
    const a = await startApp(loadConfig({ argv: ['--config', first.file], env: {}, cwd: dir }), createLogger('silent', { pretty: false }));
    try {
      const config = loadConfig({ argv: ['--config', configFile('busy2', 'auth: { enabled: false }\n').file], env: { NVR_HTTP_PORT: String(a.httpPort) }, cwd: dir });
      await assert.rejects(startApp(config, createLogger('silent', { pretty: false })), /EADDRINUSE/);
    } finally {
      await a.stop();
    }
  });
});
