/**
 * One camera's pipeline with a real ffmpeg, fed through a LiveStream the way
 * ingest feeds it, on a simulated clock: HEVC, corrupt input, and decoders
 * that are missing or crash.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { EventBus, type EventNotice } from '../../src/events/event-bus.js';
import { EventStore } from '../../src/events/event-store.js';
import { LiveStream } from '../../src/hub/live-stream.js';
import type { CodecConfig, VideoFrame } from '../../src/media/frame.js';
import { parseHevcSps } from '../../src/media/hevc-sps.js';
import { CameraMotion, type MotionDefaults } from '../../src/motion/camera-motion.js';
import { chooseFfmpeg } from '../../src/motion/ffmpeg-path.js';
import { cameraMotionSettings } from '../../src/motion/start-motion.js';
import { ThumbnailStore } from '../../src/motion/thumbnail-store.js';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { auPayload, hevcAccessUnits, hevcRecord } from '../helpers/hevc-tags.js';
import { makeFlvClip, makeHevcClip, readFlvClip } from './clips.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'nvr-cam-motion-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const spec = { seconds: 10, width: 640, height: 360, fps: 10, gopSeconds: 1, scene: { kind: 'box' as const, intervals: [[3, 7] as const] } };
let h264: { config: VideoConfig; frames: VideoFrame[] };
let hevc: { config: VideoConfig; frames: VideoFrame[] };

before(() => {
  makeFlvClip(join(dir, 'a.flv'), spec);
  h264 = readFlvClip(join(dir, 'a.flv'));
  makeHevcClip(join(dir, 'a.hevc'), spec);
  const { vps, sps, pps, units } = hevcAccessUnits(readFileSync(join(dir, 'a.hevc')));
  const s = parseHevcSps(sps);
  hevc = {
    config: { track: 'video', codec: 'h265', record: hevcRecord(vps, sps, pps), info: { codec: 'h265', width: s.width, height: s.height, fps: 10, profile: 'Main', level: 93, codecString: 'hvc1' } },
    frames: units.map((u, n) => ({ track: 'video', codec: 'h265', dts: n * 100, pts: n * 100, keyframe: u.keyframe, payload: auPayload(u) })),
  };
});

function pipeline(over: Partial<MotionDefaults> = {}, decodeFps = 0) {
  const db = openDatabase(join(dir, `${Math.random()}.sqlite`));
  migrate(db);
  const stores = { thumbnails: new ThumbnailStore(db), events: new EventStore(db), bus: new EventBus(log) };
  const notices: EventNotice[] = [];
  stores.bus.subscribe((n) => notices.push(n));
  let clock = T0;
  const defaults: MotionDefaults = { ffmpegPath: chooseFfmpeg(null).path, thumbnailWidth: 320, jpegQuality: 70, thumbnailIntervalMs: 500, restartMinMs: 100, restartMaxMs: 400, ...over };
  const settings = cameraMotionSettings({ enabled: true, sensitivity: 50, minAreaPercent: null, zones: [], masks: [], decodeFps, minFrames: 1, endSeconds: 1.5, maxEventSeconds: 600 });
  const cm = new CameraMotion('cam', settings, defaults, stores, log, () => clock);
  const stream = new LiveStream('cam', log, () => clock);
  stream.attach(cm.consumer);
  const publisher = { id: 1, peer: 'test', lastActivity: () => clock, close: () => {} };
  return {
    cm,
    stores,
    notices,
    start(config: VideoConfig) {
      stream.startPublishing(publisher);
      stream.pushConfig(config);
    },
    /** Pushes frames on the simulated clock, waiting for each keyframe's picture (or its loss), or `pace` ms of real time. */
    async push(frames: VideoFrame[], opts: { pace?: number; everyFrameMs?: number } = {}) {
      for (const f of frames) {
        clock = T0 + f.dts;
        const before = cm.stats.pictures + cm.stats.skipped + cm.stats.corrupt + cm.stats.dropped;
        stream.pushFrame(f);
        if (opts.everyFrameMs) await new Promise((r) => setTimeout(r, opts.everyFrameMs));
        if (!f.keyframe) continue;
        if (opts.pace !== undefined) {
          await new Promise((r) => setTimeout(r, opts.pace));
          continue;
        }
        const end = Date.now() + 5000;
        while (cm.stats.pictures + cm.stats.skipped + cm.stats.corrupt + cm.stats.dropped === before && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      }
    },
    async end() {
      stream.endPublishing('done');
      await new Promise((r) => setTimeout(r, 300)); // the retired decoder flushes and exits
      await cm.idle();
    },
    async publish(config: VideoConfig, frames: VideoFrame[], opts: { everyFrameMs?: number } = {}) {
      this.start(config);
      await this.push(frames, opts);
      await this.end();
    },
  };
}

for (const codec of ['h264', 'h265'] as const) {
  test(`${codec}: a thumbnail per keyframe and one event for the moving box`, async () => {
    const p = pipeline();
    const clip = codec === 'h264' ? h264 : hevc;
    await p.publish(clip.config, clip.frames);
    const keyframes = clip.frames.filter((f) => f.keyframe).length;
    assert.equal(p.cm.stats.pictures, keyframes);
    for (const f of clip.frames.filter((x) => x.keyframe)) assert.equal(p.stores.thumbnails.nearest('cam', T0 + f.pts)?.atMs, T0 + f.pts);
    const events = p.stores.events.list({ fromMs: T0 - 1000, toMs: T0 + 60_000, limit: 10, order: 'asc' });
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.ok(Math.abs(events[0].startMs - (T0 + 3000)) <= 1000, `start ${events[0].startMs - T0}`);
    assert.ok(Math.abs(events[0].endMs! - (T0 + 7000)) <= 1000, `end ${events[0].endMs! - T0}`);
    assert.deepEqual(p.notices.map((n) => n.phase), ['start', 'end']);
    assert.ok(p.notices[0].snapshot && p.notices[0].snapshot[0] === 0xff);
    await p.cm.stop();
  });
}

test('decodeFps: every frame goes to ffmpeg, keyframes plus N pictures a second come back; thumbnails stay per keyframe', async () => {
  const p = pipeline({}, 3);
  // a little real time per frame, as a live camera leaves between frames
  await p.publish(h264.config, h264.frames, { everyFrameMs: 8 });
  assert.equal(p.cm.stats.dropped, 0);
  const seconds = 10;
  assert.ok(p.cm.stats.sent === h264.frames.length, `${p.cm.stats.sent} of ${h264.frames.length} frames sent`);
  // 3 a second plus the keyframes between them, give or take the edges
  assert.ok(p.cm.stats.pictures >= 3 * seconds - 2 && p.cm.stats.pictures <= 4 * seconds + 2, `${p.cm.stats.pictures} pictures`);
  assert.equal(p.cm.stats.skipped, 0, 'unselected frames are not decoder errors');
  const keyframes = h264.frames.filter((f) => f.keyframe);
  for (const f of keyframes) assert.equal(p.stores.thumbnails.nearest('cam', T0 + f.pts)?.atMs, T0 + f.pts);
  const events = p.stores.events.list({ fromMs: T0 - 1000, toMs: T0 + 60_000, limit: 10, order: 'asc' });
  assert.equal(events.length, 1, JSON.stringify(events));
  // finer pictures, finer ends: within a third of a second plus a frame
  assert.ok(Math.abs(events[0].startMs - (T0 + 3000)) <= 450, `start ${events[0].startMs - T0}`);
  assert.ok(Math.abs(events[0].endMs! - (T0 + 7000)) <= 450, `end ${events[0].endMs! - T0}`);
  await p.cm.stop();
});

test('corrupt frames: an impossible NAL length is dropped, a scrambled keyframe is skipped or flagged, decoding goes on', async () => {
  const p = pipeline();
  const frames = h264.frames.map((f, i) => {
    if (!f.keyframe) return f;
    const k = h264.frames.slice(0, i).filter((x) => x.keyframe).length;
    if (k === 2) return { ...f, payload: Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), f.payload]) };
    if (k === 4) {
      const bad = Buffer.from(f.payload);
      for (let j = 60; j < bad.length; j += 5) bad[j] ^= 0xa5;
      return { ...f, payload: bad };
    }
    return f;
  });
  await p.publish(h264.config, frames);
  const keyframes = frames.filter((f) => f.keyframe).length;
  assert.equal(p.cm.stats.corrupt, 1);
  assert.ok(p.cm.stats.pictures >= keyframes - 2, `${p.cm.stats.pictures} pictures of ${keyframes} keyframes`);
  assert.equal(p.cm.stats.restarts, 0, 'ffmpeg never died');
  assert.ok(p.stores.thumbnails.latest('cam')!.atMs >= T0 + 9000, 'thumbnails go on after the damage');
  await p.cm.stop();
});

test('a missing ffmpeg: status decoder-missing while live, retried with backoff, no throw into the hub', async () => {
  const p = pipeline({ ffmpegPath: join(dir, 'no-ffmpeg-here'), restartMinMs: 1000, restartMaxMs: 4000 });
  p.start(h264.config);
  await p.push(h264.frames.slice(0, 80), { pace: 120 });
  const s = p.cm.status();
  assert.equal(s.state, 'decoder-missing');
  assert.match(s.message ?? '', /ffmpeg not usable at .*no-ffmpeg-here \(ENOENT\); install ffmpeg or set motion.ffmpegPath; retrying in/);
  // keyframes every second (stream time): tried at 0, then 1, 2 and 4 s later (the backoff is capped at 4 s)
  assert.equal(p.cm.stats.restarts, 4);
  await p.end();
  assert.equal(p.cm.status().state, 'decoder-missing', 'the error stays visible after the publish ends');
  await p.cm.stop();
});

test('an ffmpeg that crashes: status decoder-error with its last words; restarted with backoff', async () => {
  const script = join(dir, 'crashing-ffmpeg');
  writeFileSync(script, '#!/bin/sh\necho "[error] simulated decoder crash" >&2\nexit 3\n');
  chmodSync(script, 0o755);
  const p = pipeline({ ffmpegPath: script, restartMinMs: 1000, restartMaxMs: 4000 });
  p.start(h264.config);
  await p.push(h264.frames.slice(0, 80), { pace: 120 });
  const s = p.cm.status();
  assert.equal(s.state, 'decoder-error');
  assert.match(s.message ?? '', /ffmpeg exited with code 3: simulated decoder crash; retrying in/);
  assert.equal(p.cm.stats.restarts, 4);
  await p.end();
  await p.cm.stop();
});
