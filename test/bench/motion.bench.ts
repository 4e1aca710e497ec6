/**
 * Motion benchmarks:
 *  1. CPU per camera for the whole pipeline (ffmpeg decode + thumbnail JPEG +
 *     analysis + SQLite), keyframes only, at 1080p and 4K with a 2 s GOP, as
 *     a share of one core; next to it, decoding every frame (what a pipeline
 *     that analyses a decoded stream pays) for the same clip.
 *  2. Detection quality on the synthetic clips: precision and recall of
 *     events and of analysed keyframes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EventBus } from '../../src/events/event-bus.js';
import { EventStore } from '../../src/events/event-store.js';
import { LiveStream } from '../../src/hub/live-stream.js';
import type { CodecConfig, VideoFrame } from '../../src/media/frame.js';
import { parseHevcSps } from '../../src/media/hevc-sps.js';
import { annexBAccessUnit, parameterSets } from '../../src/motion/access-unit.js';
import { CameraMotion } from '../../src/motion/camera-motion.js';
import { DecoderProcess, type Picture } from '../../src/motion/decoder-process.js';
import { EventTracker } from '../../src/motion/event-tracker.js';
import { chooseFfmpeg } from '../../src/motion/ffmpeg-path.js';
import { analysisSize, toGrayGrid } from '../../src/motion/gray-frame.js';
import { MotionDetector } from '../../src/motion/motion-detector.js';
import { cameraMotionSettings } from '../../src/motion/start-motion.js';
import { encodeJpeg } from '../../src/motion/thumbnailer.js';
import { ThumbnailStore } from '../../src/motion/thumbnail-store.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { auPayload, hevcAccessUnits, hevcRecord } from '../helpers/hevc-tags.js';
import { makeFlvClip, makeHevcClip, movedSince, readFlvClip, type ClipSpec, type Interval } from '../motion/clips.js';
import { printTable } from './table.js';

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
const log = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 0, 1);
const cameraDefaults = { enabled: true, sensitivity: 50, minAreaPercent: null, zones: [], masks: [], decodeFps: 0, minFrames: 1, endSeconds: 3, maxEventSeconds: 600 };

/** CPU seconds of this process's waited-for children (ffmpeg decoders), from /proc/self/stat. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the name: state is #3, so cutime (#16) and cstime (#17) are at 13 and 14
  return (Number(fields[13]) + Number(fields[14])) / 100; // USER_HZ is 100 on Linux
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function loadClip(dir: string, name: string, spec: ClipSpec): { config: VideoConfig; frames: VideoFrame[] } {
  if (spec.codec === 'h265') {
    const file = join(dir, `${name}.hevc`);
    makeHevcClip(file, spec);
    const { vps, sps, pps, units } = hevcAccessUnits(readFileSync(file));
    const s = parseHevcSps(sps);
    const step = 1000 / spec.fps;
    return {
      config: { track: 'video', codec: 'h265', record: hevcRecord(vps, sps, pps), info: { codec: 'h265', width: s.width, height: s.height, fps: spec.fps, profile: 'Main', level: 0, codecString: 'hvc1' } },
      frames: units.map((u, n) => ({ track: 'video', codec: 'h265', dts: Math.round(n * step), pts: Math.round(n * step), keyframe: u.keyframe, payload: auPayload(u) })),
    };
  }
  const file = join(dir, `${name}.flv`);
  makeFlvClip(file, spec);
  return readFlvClip(file);
}

/** utime + stime of a running process, seconds. */
function pidCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function pidRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const tick = () => new Promise((r) => setTimeout(r, 1));

/**
 * The whole pipeline (keyframes only) on a simulated clock; ffmpeg's CPU is
 * read from /proc in steady state, from the third keyframe on (start-up is
 * paid once per publish).
 */
async function runPipeline(dir: string, clip: { config: VideoConfig; frames: VideoFrame[] }) {
  const db = openDatabase(join(dir, `bench-${Math.random()}.sqlite`));
  migrate(db);
  let clock = T0;
  const stores = { thumbnails: new ThumbnailStore(db), events: new EventStore(db), bus: new EventBus(log) };
  const defaults = { ffmpegPath: chooseFfmpeg(null).path, thumbnailWidth: 320, jpegQuality: 70, thumbnailIntervalMs: 1000, restartMinMs: 1000, restartMaxMs: 60_000 };
  const cm = new CameraMotion('bench', cameraMotionSettings(cameraDefaults), defaults, stores, log, () => clock);
  const stream = new LiveStream('bench', log, () => clock);
  stream.attach(cm.consumer);
  stream.startPublishing({ id: 1, peer: 'bench', lastActivity: () => clock, close: () => {} });
  stream.pushConfig(clip.config);
  let mark: { ffmpeg: number; pictures: number } | null = null;
  let pid = 0;
  for (const f of clip.frames) {
    clock = T0 + f.dts;
    const before = cm.stats.pictures;
    stream.pushFrame(f);
    if (!f.keyframe) continue;
    // one picture per keyframe; a live camera's keyframes are seconds apart, so wait for it
    while (cm.stats.pictures === before && cm.stats.dropped === 0) await tick();
    await cm.idle();
    if (cm.stats.pictures === 2) {
      pid = cm.decoderPid!;
      mark = { ffmpeg: pidCpuSeconds(pid), pictures: cm.stats.pictures };
    }
  }
  const ffmpeg = pidCpuSeconds(pid) - mark!.ffmpeg;
  const rss = pidRssMiB(pid);
  const n = cm.stats.pictures - mark!.pictures;
  stream.endPublishing('bench');
  await cm.stop();
  db.close();
  return { ffmpegMs: (ffmpeg * 1000) / n, rss, pictures: cm.stats.pictures, dropped: cm.stats.dropped };
}

/**
 * Our share per keyframe, measured alone (the harness pushing frames would
 * blur it): the Annex-B copy for ffmpeg, gray grid, analysis, JPEG and the
 * thumbnail row, on the clip's real pictures.
 */
async function nodeMsPerKeyframe(dir: string, clip: { config: VideoConfig; frames: VideoFrame[] }): Promise<number> {
  const pics = await keyframePictures(clip);
  const keyframes = clip.frames.filter((f) => f.keyframe);
  const ps = parameterSets(clip.config);
  const db = openDatabase(join(dir, `node-${Math.random()}.sqlite`));
  migrate(db);
  const thumbs = new ThumbnailStore(db);
  const size = analysisSize(320, 180);
  const det = new MotionDetector(size.width, size.height, { sensitivity: 50, zones: [], masks: [], backgroundSeconds: 10 });
  const rounds = 3;
  const c0 = selfCpuSeconds();
  for (let r = 0; r < rounds; r++) {
    for (const [i, p] of pics.entries()) {
      annexBAccessUnit(clip.config.codec, keyframes[i].payload, ps);
      det.analyse(toGrayGrid(p.rgb, p.width, p.height, size.width, size.height), r * 1e6 + p.pts);
      const jpeg = await encodeJpeg(p.rgb, p.width, p.height, 70);
      thumbs.add({ cameraId: 'bench', atMs: r * 1e6 + p.pts, width: p.width, height: p.height, jpeg });
    }
  }
  const ms = ((selfCpuSeconds() - c0) * 1000) / (rounds * pics.length);
  db.close();
  return ms;
}

/** The peer: ffmpeg decoding every frame of the clip to 2 small pictures a second, one thread, as a decode-everything pipeline would. */
function fullDecodeCpu(file: string): number {
  const kids0 = childrenCpuSeconds();
  execFileSync(chooseFfmpeg(null).path, ['-v', 'error', '-threads', '1', '-i', file, '-vf', 'fps=2,scale=320:180:flags=area', '-threads', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null']);
  return childrenCpuSeconds() - kids0;
}

async function cpuBench(dir: string): Promise<void> {
  const rows: (string | number)[][] = [];
  // camera-like: 15 fps, 2 s GOP, a camera's bitrate, mild sensor noise
  const base = { seconds: 20, fps: 15, gopSeconds: 2, noise: 4, scene: { kind: 'box' as const, intervals: [[4, 12] as Interval] } };
  const cases: { name: string; spec: ClipSpec }[] = [
    { name: '1080p H.264 4 Mbit/s', spec: { ...base, width: 1920, height: 1080, bitrateKbps: 4000 } },
    { name: '4K H.264 12 Mbit/s', spec: { ...base, width: 3840, height: 2160, bitrateKbps: 12_000 } },
    { name: '4K HEVC 8 Mbit/s', spec: { ...base, width: 3840, height: 2160, bitrateKbps: 8000, codec: 'h265' } },
  ];
  for (const c of cases) {
    const name = c.name.replace(/\W+/g, '-');
    const clip = loadClip(dir, name, c.spec);
    const keyframes = clip.frames.filter((f) => f.keyframe);
    const kfBytes = keyframes.reduce((n, f) => n + f.payload.length, 0) / keyframes.length;
    const r = await runPipeline(dir, clip);
    const nodeMs = await nodeMsPerKeyframe(dir, clip);
    const gopMs = c.spec.gopSeconds * 1000;
    const full = fullDecodeCpu(join(dir, `${name}.${c.spec.codec === 'h265' ? 'hevc' : 'flv'}`));
    rows.push([
      c.name,
      Math.round(kfBytes / 1024),
      r.ffmpegMs,
      nodeMs,
      (100 * (r.ffmpegMs + nodeMs)) / gopMs,
      Math.round(r.rss),
      (100 * full) / c.spec.seconds,
    ]);
  }
  printTable(
    'Motion CPU per camera, keyframes only, 2 s GOP (ms of CPU per keyframe; % of one core while the camera streams), vs decoding every frame',
    ['clip', 'keyframe KiB', 'ffmpeg ms', 'node ms', 'CPU % of a core', 'ffmpeg RSS MiB', 'every frame decoded: % of a core'],
    rows,
  );
}

/** Pictures of every keyframe of a clip, decoded once. */
async function keyframePictures(clip: { config: VideoConfig; frames: VideoFrame[] }): Promise<Picture<number>[]> {
  const ps = parameterSets(clip.config);
  const pics: Picture<number>[] = [];
  const d = new DecoderProcess<number>(
    { ffmpegPath: chooseFfmpeg(null).path, codec: clip.config.codec, width: clip.config.info.width, height: clip.config.info.height, outWidth: 320, outHeight: 180, extraFps: null },
    { onPicture: (p) => pics.push(p), onExit: () => {} },
    log,
  );
  for (const f of clip.frames) if (f.keyframe) d.send(f.pts, annexBAccessUnit(clip.config.codec, f.payload, ps), f.pts);
  await d.end(30_000);
  return pics;
}

function qualityRow(name: string, pics: Picture<number>[], truth: Interval[], gopMs: number, masks: { points: [number, number][] }[] = []): (string | number)[] {
  const size = analysisSize(320, 180);
  const det = new MotionDetector(size.width, size.height, { sensitivity: 50, zones: [], masks, backgroundSeconds: 10 });
  const tracker = new EventTracker({ minFrames: 1, endMs: 3000, maxEventMs: 600_000 });
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const events: [number, number][] = [];
  let open: number | null = null;
  // the first picture is the clip's time 0 (with B-frames its pts is the muxer's delay, not 0)
  const t0 = pics[0]?.pts ?? 0;
  pics.forEach((p, i) => {
    const a = det.analyse(toGrayGrid(p.rgb, 320, 180, size.width, size.height), p.pts);
    const truthMoved = i > 0 && movedSince(truth, (pics[i - 1].pts - t0) / 1000, (p.pts - t0) / 1000);
    const said = a.level !== 'none';
    if (said && truthMoved) tp++;
    else if (said) fp++;
    else if (truthMoved) fn++;
    for (const act of tracker.feed({ atMs: p.pts, score: a.score, level: a.level, zones: a.zones })) {
      if (act.type === 'start') open = act.atMs;
      if (act.type === 'end') events.push([open!, act.endMs]);
    }
  });
  for (const act of tracker.end('publish-ended')) if (act.type === 'end') events.push([open!, act.endMs]);
  // an event matches an interval when both ends are within one GOP of it
  const matches = (e: [number, number], t: Interval) => Math.abs(e[0] - t0 - t[0] * 1000) <= gopMs && Math.abs(e[1] - t0 - t[1] * 1000) <= gopMs;
  const goodEvents = events.filter((e) => truth.some((t) => matches(e, t))).length;
  const found = truth.filter((t) => events.some((e) => matches(e, t))).length;
  const ratio = (a: number, b: number) => (b === 0 ? '-' : a / b);
  return [name, truth.length, events.length, ratio(goodEvents, events.length), ratio(found, truth.length), ratio(tp, tp + fp), ratio(tp, tp + fn)];
}

async function qualityBench(dir: string): Promise<void> {
  const intervals: Interval[] = [
    [5, 11],
    [17, 23],
    [31, 34],
    [42, 50],
  ];
  const base = { seconds: 56, width: 640, height: 360, fps: 10 };
  const cases: { name: string; spec: ClipSpec; masks?: { points: [number, number][] }[] }[] = [
    { name: 'box, H.264, 2 s GOP', spec: { ...base, gopSeconds: 2, scene: { kind: 'box', intervals } } },
    { name: 'box, H.264, 1 s GOP', spec: { ...base, gopSeconds: 1, scene: { kind: 'box', intervals } } },
    { name: 'box, H.264 with B-frames, 2 s GOP', spec: { ...base, gopSeconds: 2, bframes: true, scene: { kind: 'box', intervals } } },
    { name: 'box, heavy sensor noise, 2 s GOP', spec: { ...base, gopSeconds: 2, noise: 48, scene: { kind: 'box', intervals } } },
    { name: 'box, HEVC, 2 s GOP', spec: { ...base, gopSeconds: 2, codec: 'h265', scene: { kind: 'box', intervals } } },
    { name: 'box under a mask, 2 s GOP', spec: { ...base, gopSeconds: 2, scene: { kind: 'box', intervals } }, masks: [{ points: [[0.2, 0], [0.8, 0], [0.8, 1], [0.2, 1]] }] },
    { name: 'light ramp + IR switch, 2 s GOP', spec: { ...base, gopSeconds: 2, scene: { kind: 'light' } } },
  ];
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    const clip = loadClip(dir, `q-${c.name.replace(/\W+/g, '-')}`, c.spec);
    const pics = await keyframePictures(clip);
    const truth = c.spec.scene.kind === 'box' && !c.masks ? intervals : [];
    rows.push(qualityRow(c.name, pics, truth, c.spec.gopSeconds * 1000, c.masks));
  }
  printTable(
    'Motion detection quality on synthetic clips (events: both ends within one GOP of a moving interval; keyframes: motion since the previous keyframe)',
    ['clip', 'moving intervals', 'events', 'event precision', 'event recall', 'keyframe precision', 'keyframe recall'],
    rows,
  );
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-motion-bench-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const motionQualityBench = (): Promise<void> => inTempDir(qualityBench);
export const motionCpuBench = (): Promise<void> => inTempDir(cpuBench);

export async function motionBench(): Promise<void> {
  await motionQualityBench();
  await motionCpuBench();
}

// run alone: node --import tsx test/bench/motion.bench.ts [quality|cpu]
if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  await (only === 'quality' ? motionQualityBench() : only === 'cpu' ? motionCpuBench() : motionBench());
}
