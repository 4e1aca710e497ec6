/**
 * The three RTMP recording servers of the cameras benchmark, each started on
 * loopback ports in its own process tree and configured as a user would run
 * it with recording on: ours (the built dist/, FLV segments), node-media-server
 * 4 (the devDependency, --record-auto) and nginx with Debian's
 * libnginx-mod-rtmp (`record all`, installed with apt-get when missing).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { ROOT, cleanEnv } from '../helpers/main-process.js';

export type ServerKind = 'ours' | 'ours+motion' | 'nms' | 'nginx';

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: 'ours (lan-nvr)',
  'ours+motion': 'ours, motion on',
  nms: 'node-media-server 4.4.3',
  nginx: 'nginx-rtmp',
};

export interface BenchServer {
  kind: ServerKind;
  port: number;
  pid: number;
  /** where the recordings go */
  recordRoot: string;
  /** which camera a recorded file belongs to (path relative to recordRoot) */
  cameraOf(file: string): string | null;
  stop(): Promise<void>;
}

const NGINX_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Where our server is built and run from: CAMERAS_OURS_ROOT (e.g. a `git archive` of HEAD, away from edits in progress) or this checkout. */
export const OURS_ROOT = process.env.CAMERAS_OURS_ROOT ?? ROOT;

async function waitForPort(port: number, child: ChildProcess, log: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before listening on ${port}: ${readFileSync(log, 'utf8').slice(-2000)}`);
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  };
}

/** Files under a folder, recursively, relative to it. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)));
}

export async function startServer(kind: ServerKind, dir: string, cameras: string[], oursRoot = OURS_ROOT): Promise<BenchServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const logFile = join(dir, 'server.log');
  const out = openSync(logFile, 'a');
  if (kind === 'ours' || kind === 'ours+motion') {
    const data = join(dir, 'data');
    const config = join(dir, 'config.yaml');
    // room for every camera plus the players, all from 127.0.0.1
    const conns = cameras.length + 32;
    const cams = cameras.map((id) => `  - { id: ${id}, recording: { format: flv }, motion: { enabled: ${kind === 'ours+motion'} } }`).join('\n');
    writeFileSync(config, `dataDir: ${JSON.stringify(data)}\nmaxCameras: ${Math.max(cameras.length, 1)}\nrtmp: { port: ${port}, host: 127.0.0.1, limits: { maxConnections: ${conns}, maxConnectionsPerAddress: ${conns} } }\nhttp: { port: 0, host: 127.0.0.1 }\nmotion: { ffmpegPath: ffmpeg }\ncameras:\n${cams}\n`);
    // CAMERAS_PROFILE=DIR: a V8 CPU profile of our server, written there when it stops
    // CAMERAS_NODE_FLAGS: more node flags for it (e.g. --trace-gc; its output goes to server.log)
    const prof = [...(process.env.CAMERAS_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.CAMERAS_PROFILE] : []), ...(process.env.CAMERAS_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
    const child = spawn(process.execPath, [...startNodeFlags(oursRoot), ...prof, 'dist/src/main.js', '--config', config], { cwd: oursRoot, env: cleanEnv(), stdio: ['ignore', out, out] });
    await waitForPort(port, child, logFile);
    const recordRoot = join(data, 'recordings');
    return { kind, port, pid: child.pid!, recordRoot, cameraOf: (f) => f.split(sep)[0] ?? null, stop: stopper(child, 'SIGTERM') };
  }
  if (kind === 'nms') {
    const recordRoot = join(dir, 'record');
    const config = join(dir, 'nms.json');
    // its shipped config minus RTMPS/HTTPS (no certificates here); admin UI off
    writeFileSync(config, JSON.stringify({ bind: '127.0.0.1', notify: { url: '' }, store: { path: './store', maxHistory: 10000 }, auth: { play: false, publish: false, secret: 'bench', jwt: { secret: 'bench', expiresIn: '24h', refreshExpiresIn: '7d', algorithm: 'HS256', users: [] } }, rtmp: { port }, http: { port: await freePort() }, webadmin: { enable: false }, record: { auto: true, path: './record' } }));
    const bin = join(ROOT, 'node_modules/node-media-server/bin/app.js');
    const child = spawn(process.execPath, [bin, '-c', config, '--record-auto', '--no-admin'], { cwd: dir, stdio: ['ignore', out, out] });
    await waitForPort(port, child, logFile);
    // record/live/<camera>/<ms>.flv
    return { kind, port, pid: child.pid!, recordRoot, cameraOf: (f) => f.split(sep)[1] ?? null, stop: stopper(child, 'SIGTERM') };
  }
  ensureNginx();
  const recordRoot = join(dir, 'record');
  mkdirSync(recordRoot, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, recordRoot));
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', out, out] });
  await waitForPort(port, child, logFile);
  // <camera>-<unix time>.flv (record_unique)
  return { kind, port, pid: child.pid!, recordRoot, cameraOf: (f) => /^(.*)-\d+\.flv$/.exec(basename(f))?.[1] ?? null, stop: stopper(child, 'SIGQUIT') };
}

/** The node flags `npm start` runs our server with (package.json), so the bench measures what users run. */
export function startNodeFlags(root: string): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /\bnode((?: --\S+)*) dist\/src\/main\.js/.exec(start);
  if (!m) throw new Error(`package.json scripts.start does not run "node [flags] dist/src/main.js": ${start}`);
  return m[1].split(' ').filter(Boolean);
}

/** As nginx-rtmp's README sets it up, workers as many as cores (worker_processes auto). */
function nginxConf(dir: string, port: number, recordRoot: string): string {
  return `load_module ${NGINX_MODULE};
user root;
worker_processes auto;
worker_rlimit_nofile 16384;
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live {
      live on;
      record all;
      record_path ${recordRoot};
      record_unique on;
    }
  }
}
`;
}

export const NGINX_WORKERS = cpus().length;

function ensureNginx(): void {
  if (hasNginx()) return;
  process.stderr.write('installing nginx and libnginx-mod-rtmp with apt-get...\n');
  execFileSync('apt-get', ['install', '-y', 'nginx', 'libnginx-mod-rtmp'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!hasNginx()) throw new Error(`nginx or ${NGINX_MODULE} still missing after apt-get install`);
}

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return existsSync(NGINX_MODULE);
  } catch {
    return false;
  }
}
