/**
 * Live view: time to the first keyframe byte, ingest-to-viewer delay per
 * frame (median, p99), and how many HTTP-FLV viewers of one 4 Mbit/s camera
 * the server (its own process) carries with nobody falling behind. The
 * publisher replays the 1080p clip in real time from this process; the
 * viewers run in a separate load-generator process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { flvTags } from '../media/flv-file.js';
import { ROOT, spawnMain, waitForLogLine } from '../helpers/main-process.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';
import { benchClip } from './fixture.js';
import { median, printTable } from './table.js';

const exec = promisify(execFile);
const now = () => performance.timeOrigin + performance.now();
const SECONDS = 12;

export async function liveBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-bench-live-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `dataDir: ${JSON.stringify(join(dir, 'data'))}\nrtmp: { port: 0, host: 127.0.0.1 }\nhttp: { port: 0, host: 127.0.0.1 }\nauth: { enabled: false }\ncameras:\n  - { id: cam, recording: { format: flv } }\n`);
  const server = spawnMain(['--config', config]);
  try {
    const listening = await waitForLogLine(server, (l) => l.msg === 'listening' || typeof l.http === 'number');
    const base = `http://127.0.0.1:${listening.http}/live/cam`;
    const tags = [...flvTags(readFileSync(benchClip()))].filter((t) => t.type === 8 || t.type === 9);
    const rows: (string | number)[][] = [];
    for (const [format, n] of [['flv', 1], ['flv', 50], ['flv', 200], ['flv', 300], ['mp4', 1], ['mp4', 200]] as const) {
      const url = `${base}.${format}`;
      const pub = await TestRtmpClient.connect(Number(listening.rtmp));
      await pub.publish('cam');
      const sent = new Map<number, number>();
      const keyframes: number[] = [];
      const publishing = replay(pub, tags, SECONDS + 4, sent, keyframes);
      await new Promise((r) => setTimeout(r, 2500)); // a GOP cached before viewers arrive
      const cpu0 = await cpuSeconds(server.pid!);
      const t0 = now();
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'test/bench/live-viewers.ts', url, String(n), String(SECONDS)], { cwd: ROOT, maxBuffer: 1 << 28 });
      const cpu = ((await cpuSeconds(server.pid!)) - cpu0) / ((now() - t0) / 1000);
      await publishing;
      pub.close();
      const viewers = JSON.parse(stdout) as { video: [number, number][]; bytes: number; closedEarly: boolean; firstKeyframeMs: number | null }[];
      const delays: number[] = [];
      let behind = 0;
      for (const v of viewers) {
        const d = delaysOf(v.video, sent, keyframes);
        delays.push(...d);
        if (v.closedEarly || d.length === 0 || Math.max(...d) > 1000) behind++;
      }
      delays.sort((a, b) => a - b);
      const firsts = viewers.map((v) => v.firstKeyframeMs ?? Infinity);
      rows.push([format === 'flv' ? 'HTTP-FLV' : 'fMP4', n, cpu * 100, median(firsts), delays.length ? median(delays) : '-', delays.length ? delays[Math.floor(delays.length * 0.99)] : '-', behind, (viewers.reduce((s, v) => s + v.bytes, 0) / SECONDS / 1e6) * 8]);
      await new Promise((r) => setTimeout(r, 1500));
    }
    printTable(`Live viewers of one 4 Mbit/s 1080p camera, ${SECONDS} s each (server in its own process, recording on)`, ['format', 'viewers', 'server CPU % (of one core)', 'first keyframe byte ms (median)', 'delay p50 ms', 'delay p99 ms', 'viewers behind or cut', 'Mbit/s out'], rows);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replays FLV tags in real time; notes each video tag's send time by its dts. */
async function replay(c: TestRtmpClient, tags: { type: number; timestamp: number; body: Buffer }[], seconds: number, sent: Map<number, number>, keyframes: number[]): Promise<void> {
  const t0 = now();
  for (const tag of tags) {
    if (tag.timestamp > seconds * 1000) break;
    const due = t0 + tag.timestamp;
    if (due > now()) await new Promise((r) => setTimeout(r, due - now()));
    if (tag.type === 9) {
      sent.set(tag.timestamp, now());
      if (tag.body[0] >> 4 === 1) keyframes.push(tag.timestamp);
      c.video(tag.timestamp, tag.body);
    } else c.audio(tag.timestamp, tag.body);
  }
}

/**
 * Per-frame delay from the publisher's send to the viewer's receipt. A viewer's
 * timestamps are rebased to the keyframe it started on: the right keyframe is
 * the latest one that makes no frame arrive before it was sent. The replayed
 * GOP (cached frames sent in a burst) is left out.
 */
function delaysOf(video: [number, number][], sent: Map<number, number>, keyframes: number[]): number[] {
  for (const base of [...keyframes].reverse()) {
    const d: number[] = [];
    let ok = true;
    for (const [ts, at] of video) {
      const s = sent.get(ts + base);
      if (s === undefined) continue;
      if (at - s < -2) {
        ok = false;
        break;
      }
      d.push(at - s);
    }
    if (ok && d.length > 0) return d.slice(Math.min(d.length - 1, 60));
  }
  return [];
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const { stdout } = await exec('getconf', ['CLK_TCK']);
  return ticks / Number(stdout.trim());
}
