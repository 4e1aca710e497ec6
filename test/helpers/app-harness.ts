/** Starts the real app in this process on ephemeral loopback ports, with its log lines captured. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';

export interface TestApp {
  app: App;
  rtmpPort: number;
  httpPort: number;
  dataDir: string;
  logs: Record<string, unknown>[];
  /** GET a JSON API path */
  get<T = unknown>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startTestApp(config: Record<string, unknown> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-test-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      rtmp: { port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1' },
      log: { level: 'debug' },
      // access control off unless the test passes its own auth section (test/auth/ does)
      auth: { enabled: false },
      ...config,
    }),
  );
  const cfg = loadConfig({ argv: ['--config', file], env: {}, cwd: dir });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const app = await startApp(cfg, pino({ level: cfg.log.level }, sink));
  const base = `http://127.0.0.1:${app.httpPort}`;
  return {
    app,
    rtmpPort: app.rtmpPort!,
    httpPort: app.httpPort,
    dataDir: cfg.dataDir,
    logs,
    get: async (path) => (await fetch(base + path)).json() as never,
    stop: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
