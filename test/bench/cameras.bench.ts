/**
 * Recorded cameras per box, side by side with node-media-server 4 and
 * nginx-rtmp (issue 8). For each camera count N and each server, one at a
 * time on loopback: a load generator in its own process replays the cached
 * 1080p 4 Mbit/s clip to N cameras in real time; we measure over a steady
 * window after warm-up, with nobody watching:
 * - server CPU (utime+stime of its process tree) per camera-minute,
 * - resident memory per camera (at N minus idle, over N) and the fixed cost,
 * then RTMP players join a few cameras (up to 8) for a second window:
 * - ingest lag: arrival at a player minus the replay schedule (sampled
 *   cameras), and the generator's own send lag (socket backpressure, all cameras),
 * - bytes and frames on disk against media bytes and frames sent.
 * A server that loses frames or lags over 1 s at N is not run at larger N.
 *
 * Env: CAMERAS_N (1,8,16,32,64,128,200,256,320,384,448,512,640), CAMERAS_SERVERS (ours,nms,nginx),
 * CAMERAS_WINDOW_S (20), CAMERAS_WARMUP_S (10), CAMERAS_SETTLE_S (5: idle after start-up), CAMERAS_REPEAT_AT (16,64),
 * CAMERAS_REPEAT (3), CAMERAS_MOTION_AT (16; empty: no motion row), CAMERAS_PLAYERS (8),
 * CAMERAS_LAG_S (10: the players' window, after the CPU window), CAMERAS_REPORT (a saved
 * cameras.json: print and write its report again, no run).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../helpers/main-process.js';
import type { LoadOptions, LoadResult } from './camera-load.js';
import { benchClip } from './fixture.js';
import { lineChartSvg, writePng } from './line-chart.js';
import { sampleTree } from './proc-stats.js';
import { recordedByCamera } from './recorded-frames.js';
import { NGINX_WORKERS, OURS_ROOT, SERVER_LABEL, startServer, type ServerKind } from './rtmp-servers.js';
import { median, printTable } from './table.js';

const env = (k: string, d: string) => process.env[k] ?? d;
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const NS = list(env('CAMERAS_N', '1,8,16,32,64,128,200,256,320,384,448,512,640')).map(Number);
const SERVERS = list(env('CAMERAS_SERVERS', 'ours,nms,nginx')) as ServerKind[];
const WINDOW_S = Number(env('CAMERAS_WINDOW_S', '20'));
const WARMUP_S = Number(env('CAMERAS_WARMUP_S', '10'));
const REPEAT_AT = list(env('CAMERAS_REPEAT_AT', '16,64')).map(Number);
const REPEAT = Number(env('CAMERAS_REPEAT', '3'));
const MOTION_AT = list(env('CAMERAS_MOTION_AT', '16')).map(Number);
const PLAYERS = Number(env('CAMERAS_PLAYERS', '8'));
const SETTLE_S = Number(env('CAMERAS_SETTLE_S', '5'));
const LAG_S = Number(env('CAMERAS_LAG_S', '10'));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

export interface Run {
  server: ServerKind;
  n: number;
  cpuPerCamMin: number;
  /** % of one core, whole server */
  cpuPct: number;
  rssPerCamMB: number;
  fixedRssMB: number;
  lag: LoadResult['ingestLag'];
  playersSaw: number;
  players: number;
  sendLagP99: number;
  sendLagMax: number;
  mediaBytes: number;
  diskBytes: number;
  framesSent: number;
  framesOnDisk: number;
  /** frames sent but not on disk, and on how many cameras */
  lost: number;
  camerasLosing: number;
  damagedFiles: number;
  cut: number;
  genCpuPerCamMin: number;
}

export const keepsUp = (r: Run) => r.lost === 0 && r.cut === 0 && !(r.lag.p99 > 1000) && r.sendLagP99 <= 1000;

async function runOnce(kind: ServerKind, n: number, clip: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `nvr-bench-cams-${kind.replace('+', '-')}-`));
  const cameras = Array.from({ length: n }, (_, i) => `cam${String(i + 1).padStart(3, '0')}`);
  const server = await startServer(kind, dir, cameras).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  try {
    // a server runs for weeks: its start-up work (module loading, first compilations, the
    // collection of start-up garbage) is let pass before the idle sample and the load
    await sleep(SETTLE_S * 1000);
    const idle = sampleTree(server.pid);
    const opts: LoadOptions = {
      port: server.port,
      clip,
      cameras,
      staggerMs: Math.min(40, 2000 / n),
      warmupMs: WARMUP_S * 1000,
      windowMs: WINDOW_S * 1000,
      players: Math.min(PLAYERS, n),
      lagWarmupMs: 3000,
      lagWindowMs: LAG_S * 1000,
      chunkSize: 4096,
    };
    const gen = spawn(process.execPath, ['--import', 'tsx', 'test/bench/camera-load.ts', JSON.stringify(opts)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    gen.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((r) => gen.on('close', r));
    await new Promise<void>((resolve, reject) => {
      gen.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('ready\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`load generator exited (${code}) before ready: ${stderr}`)));
    });
    await sleep(opts.warmupMs);
    const s1 = sampleTree(server.pid);
    const rss: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < opts.windowMs - 1000) {
      await sleep(1000);
      rss.push(sampleTree(server.pid).rssBytes);
    }
    await sleep(opts.windowMs - (performance.now() - t1));
    const s2 = sampleTree(server.pid);
    const windowS = (performance.now() - t1) / 1000;
    const code = await exited;
    if (code !== 0) throw new Error(`load generator exited ${code}: ${stderr}`);
    const load = JSON.parse(stdout) as LoadResult;
    await sleep(2000); // the servers close the recordings of the publishers that left
    await server.stop();
    const rec = recordedByCamera(server);
    let framesOnDisk = 0;
    let diskBytes = 0;
    let lost = 0;
    let camerasLosing = 0;
    let damagedFiles = 0;
    for (const c of load.cameras) {
      const r = rec.get(c.id);
      const sent = c.videoSent + c.audioSent;
      framesOnDisk += r?.frames ?? 0;
      diskBytes += r?.bytes ?? 0;
      damagedFiles += r?.damaged ?? 0;
      // ours starts a recording at the first keyframe, so the audio frame ahead of it is not footage lost
      const missing = sent - c.beforeKeyframe - (r?.frames ?? 0);
      if (missing > 0) {
        lost += missing;
        camerasLosing++;
      }
    }
    const camMin = (n * windowS) / 60;
    const rssWindow = median(rss.length ? rss : [s2.rssBytes]);
    return {
      server: kind,
      n,
      cpuPerCamMin: (s2.cpuS - s1.cpuS) / camMin,
      cpuPct: ((s2.cpuS - s1.cpuS) / windowS) * 100,
      rssPerCamMB: (rssWindow - idle.rssBytes) / n / MB,
      fixedRssMB: idle.rssBytes / MB,
      lag: load.ingestLag,
      playersSaw: load.playerFrames.received,
      players: load.playerFrames.sent,
      sendLagP99: load.sendLag.p99,
      sendLagMax: load.sendLag.max,
      mediaBytes: load.cameras.reduce((s, c) => s + c.mediaBytes, 0),
      diskBytes,
      framesSent: load.cameras.reduce((s, c) => s + c.videoSent + c.audioSent, 0),
      framesOnDisk,
      lost,
      camerasLosing,
      damagedFiles,
      cut: load.cameras.filter((c) => c.cut).length,
      genCpuPerCamMin: load.generatorCpuS / ((n * load.windowMs) / 60_000),
    };
  } finally {
    await server.stop();
    if (process.env.CAMERAS_KEEP === '1') process.stderr.write(`  kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The median run by CPU per camera (its other columns come with it), and the CPU spread. */
function medianRun(runs: Run[]): Run & { spread: string } {
  const sorted = [...runs].sort((a, b) => a.cpuPerCamMin - b.cpuPerCamMin);
  const m = sorted[(sorted.length - 1) >> 1];
  const spread = runs.length > 1 ? `${sorted[0].cpuPerCamMin.toFixed(3)}-${sorted[sorted.length - 1].cpuPerCamMin.toFixed(3)} (${runs.length} runs)` : '';
  return { ...m, spread };
}

const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');

function tableRows(rows: (Run & { spread: string })[]): (string | number)[][] {
  return rows.map((r) => [
    SERVER_LABEL[r.server],
    r.n,
    r.cpuPerCamMin.toFixed(3) + (r.spread ? ` [${r.spread}]` : ''),
    f(r.cpuPct),
    r.rssPerCamMB.toFixed(2),
    f(r.fixedRssMB),
    r.lag.n ? `${f(r.lag.p50)} / ${f(r.lag.p99)}` : '-',
    `${r.playersSaw}/${r.players}`,
    f(r.sendLagP99),
    (r.diskBytes / r.mediaBytes).toFixed(4),
    `${r.framesOnDisk}/${r.framesSent}`,
    r.lost ? `${r.lost} (${r.camerasLosing} cams)` : '0',
    r.genCpuPerCamMin.toFixed(3),
  ]);
}

const HEADER = ['server', 'cameras', 'CPU s per camera-minute', 'server CPU % of a core', 'RSS MB per camera', 'fixed RSS MB', 'ingest lag p50 / p99 ms', 'player frames seen / sent', 'send lag p99 ms', 'disk / media bytes', 'frames on disk / sent', 'frames lost', 'generator CPU s per camera-minute'];

export async function camerasBench(): Promise<void> {
  // CAMERAS_REPORT=results/DAY/cameras.json: the table, ratios and chart again from a saved run
  if (process.env.CAMERAS_REPORT) {
    const saved = JSON.parse(readFileSync(process.env.CAMERAS_REPORT, 'utf8')) as { date: string; machine: string; runs: Run[] };
    return report(saved.runs, saved.date, saved.machine);
  }
  if (process.env.CAMERAS_BUILD !== '0') {
    process.stderr.write('building dist/ (npm run build; CAMERAS_BUILD=0 skips)...\n');
    try {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: OURS_ROOT, stdio: 'inherit' });
    } catch {
      process.stderr.write('warning: the build reported errors; benchmarking what it emitted in dist/\n');
    }
  }
  const clip = benchClip();
  const all: Run[] = [];
  const stopped = new Set<ServerKind>();
  const log = (r: Run) => process.stderr.write(`  ${r.server} N=${r.n}: ${r.cpuPerCamMin.toFixed(3)} CPU s/cam-min, ${r.rssPerCamMB.toFixed(2)} MB/cam, lag p99 ${f(r.lag.p99)} ms, send lag p99 ${f(r.sendLagP99)} ms, lost ${r.lost}, cut ${r.cut}\n`);
  for (const n of NS) {
    const kinds: ServerKind[] = [...SERVERS.filter((k) => !stopped.has(k)), ...(MOTION_AT.includes(n) ? ['ours+motion' as const] : [])];
    if (kinds.length === 0) break;
    const times = REPEAT_AT.includes(n) ? REPEAT : 1;
    for (let rep = 0; rep < times; rep++) {
      // interleaved, so a noisy minute on the shared machine hits every server alike
      for (const kind of kinds) {
        process.stderr.write(`cameras bench: ${kind}, N=${n}${times > 1 ? `, run ${rep + 1}/${times}` : ''}\n`);
        try {
          const r = await runOnce(kind, n, clip);
          all.push(r);
          log(r);
        } catch (err) {
          process.stderr.write(`  failed: ${(err as Error).message}\n`);
        }
      }
    }
    for (const kind of kinds) {
      const runs = all.filter((r) => r.server === kind && r.n === n);
      if (runs.length === 0 || !keepsUp(medianRun(runs))) stopped.add(kind);
    }
  }
  await report(all);
}

async function report(all: Run[], date = new Date().toISOString(), machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, shared with other work`): Promise<void> {
  const groups = new Map<string, Run[]>();
  for (const r of all) {
    const k = `${r.n}\0${r.server}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const order: ServerKind[] = ['ours', 'ours+motion', 'nms', 'nginx'];
  const rows = [...groups.values()].map(medianRun).sort((a, b) => a.n - b.n || order.indexOf(a.server) - order.indexOf(b.server));
  const nginxVersion = (() => {
    try {
      return execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'nginx';
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? '').trim();
    }
  })();
  const title = `Recorded 4 Mbit/s 1080p cameras, ${WINDOW_S} s window after ${WARMUP_S} s warm-up`;
  printTable(title, HEADER, tableRows(rows));

  const get = (kind: ServerKind, n: number) => rows.find((r) => r.server === kind && r.n === n);
  const ratios: string[] = [];
  for (const n of [16, 64]) {
    const o = get('ours', n);
    for (const peer of ['nms', 'nginx'] as const) {
      const p = get(peer, n);
      if (o && p) ratios.push(`CPU per camera at ${n}: ours / ${SERVER_LABEL[peer]} = ${(o.cpuPerCamMin / p.cpuPerCamMin).toFixed(2)}x (goal ${peer === 'nms' ? '<= 0.4x' : '<= 1.3x'})`);
    }
  }
  const o64 = get('ours', 64);
  for (const peer of ['nms', 'nginx'] as const) {
    const p = get(peer, 64);
    if (o64 && p) ratios.push(`RSS per camera at 64: ours / ${SERVER_LABEL[peer]} = ${(o64.rssPerCamMB / p.rssPerCamMB).toFixed(2)}x`);
  }
  for (const kind of ['ours', 'nms', 'nginx'] as const) {
    // every row up to N must hold; a row whose players saw no frame (nginx: another worker) has
    // no lag to claim, so it neither counts nor breaks the run unless it lost frames
    const own = rows.filter((r) => r.server === kind);
    const firstMiss = own.find((r) => !keepsUp(r) || (r.lag.n > 0 && r.lag.p99 >= 100));
    const most = Math.max(0, ...own.filter((r) => r.lag.n > 0 && (!firstMiss || r.n < firstMiss.n)).map((r) => r.n));
    const failed = rows.filter((r) => r.server === kind && !keepsUp(r)).map((r) => r.n);
    ratios.push(`${SERVER_LABEL[kind]}: lag p99 < 100 ms and no frame lost at every N up to ${most || 'none'}${failed.length ? `; fell behind or lost frames at ${failed.join(', ')}` : ''}`);
  }
  if (o64) ratios.push(`ours at 64 cameras: ${o64.rssPerCamMB.toFixed(2)} MB RSS per camera (goal < 2 MB), fixed ${o64.fixedRssMB.toFixed(0)} MB`);
  console.log('');
  for (const l of ratios) console.log(l);

  const day = date.slice(0, 10);
  const out = join(RESULTS, day);
  mkdirSync(out, { recursive: true });
  const md = [
    `# ${title}`,
    '',
    `${date}; ${machine}; node ${process.version}; ${nginxVersion} with libnginx-mod-rtmp, worker_processes auto (${NGINX_WORKERS}); node-media-server 4.4.3 --record-auto.`,
    `Each server alone on loopback, recording FLV to disk (ours: 60 s segments, fdatasync every second, motion off unless the row says so), started ${SETTLE_S} s before the load. Load generator: one separate process.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...tableRows(rows).map((r) => `| ${r.join(' | ')} |`),
    '',
    ...ratios.map((l) => `- ${l}`),
    '',
    'CPU: utime+stime of the server process tree over the window, nobody watching. RSS per camera: (median RSS in the window - RSS idle) / N; fixed = idle RSS. The chart starts at 8 cameras.',
    'Ingest lag: when an RTMP player of the server got a video frame minus when the replay schedule sent it, measured after the CPU window (up to 8 cameras played; nginx with 2 workers and no rtmp_auto_push only serves a stream on its publisher\'s worker: players reconnect until they land there, those that never do are missing from "player frames seen").',
    'Send lag: when the generator\'s socket took a video frame minus its schedule, all cameras (grows when a server stops reading).',
    'Frames lost: frames sent from the first keyframe on that are not in the recorded files (the clip has one audio frame ahead of its first keyframe; ours starts recording at the keyframe, the peers record it).',
    'Disk / media bytes: FLV container overhead is 11 bytes of tag header + 4 of PreviousTagSize per frame, the file header, metadata and sequence headers per file.',
  ].join('\n');
  writeFileSync(join(out, 'cameras.md'), md + '\n');
  writeFileSync(join(out, 'cameras.json'), JSON.stringify({ date, machine, runs: all }, null, 1));
  // from 8 cameras up: at 1 camera every server's fixed costs dwarf the per-camera ones
  const xs = [...new Set(rows.map((r) => r.n))].filter((n) => n >= 8);
  const colors: Record<ServerKind, string> = { ours: '#1f77b4', 'ours+motion': '#9ecae1', nms: '#d62728', nginx: '#2ca02c' };
  const series = (['ours', 'nms', 'nginx'] as const).map((k) => ({ name: SERVER_LABEL[k], color: colors[k], points: new Map(rows.filter((r) => r.server === k && xs.includes(r.n)).map((r) => [r.n, r.cpuPerCamMin])) }));
  await writePng(lineChartSvg('Server CPU per recorded camera', 'cameras (4 Mbit/s 1080p each)', 'CPU seconds per camera-minute', xs, series), join(out, 'cameras.png'));
  console.log(`\nwritten: ${join(out, 'cameras.md')}, cameras.png, cameras.json`);
}
