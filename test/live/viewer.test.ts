/**
 * LiveViewer against a real LiveStream and a fake output whose buffered bytes
 * the test controls: start on the cached keyframe, skip-to-keyframe and
 * drop-after-maxBehindMs for slow clients, bounded memory, detaching when the
 * client goes away, and timestamps rebased across a publisher reconnect.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Publisher } from '../../src/hub/live-stream.js';
import { StreamHub } from '../../src/hub/stream-hub.js';
import { FlvLiveFormat } from '../../src/live/flv-live.js';
import { Mp4LiveFormat } from '../../src/live/mp4-live.js';
import type { ByteOutput, Unit } from '../../src/live/transports.js';
import { LiveViewer, type LiveFormat, type VideoConfig, type AudioConfig } from '../../src/live/viewer.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { parseMoof, readBoxHeader, scanFragments } from '../../src/mp4/mp4-reader.js';
import { flvTags } from '../media/flv-file.js';

const H264: VideoConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee]),
  info: { codec: 'h264', width: 640, height: 360, fps: 25, profile: 'High', level: 31, codecString: 'avc1.64001f' },
};
const H264B: VideoConfig = { ...H264, record: Buffer.concat([H264.record, Buffer.from([0])]), info: { ...H264.info, width: 1280, codecString: 'avc1.640028' } };
const AAC: AudioConfig = {
  track: 'audio',
  codec: 'aac',
  record: Buffer.from([0x12, 0x10]),
  info: { codec: 'aac', sampleRate: 44100, channels: 2, objectType: 2, codecString: 'mp4a.40.2' },
};

class FakeOutput implements ByteOutput {
  units: Unit[] = [];
  texts: string[] = [];
  /** what the fake socket holds: set by the test, or grown by writes with `accumulate` */
  buffered = 0;
  maxBuffered = 0;
  accumulate = false;
  destroyed: string | null = null;
  private listeners: (() => void)[] = [];
  write(unit: Unit): void {
    this.units.push(unit);
    if (this.accumulate) this.buffered += unit.reduce((n, b) => n + b.length, 0);
    this.maxBuffered = Math.max(this.maxBuffered, this.buffered);
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  announce(mime: string): void {
    this.texts.push(mime);
  }
  destroy(reason: string): void {
    if (this.destroyed !== null) return;
    this.destroyed = reason;
    for (const fn of this.listeners) fn();
  }
  onClose(fn: () => void): void {
    this.listeners.push(fn);
  }
  bytes(): Buffer {
    return Buffer.concat(this.units.flat());
  }
}

/** Records which frames reached the format (times as rebased); one unit of the payload's size each. */
class FakeFormat implements LiveFormat {
  readonly name = 'fake';
  sent: { track: string; dts: number; keyframe: boolean }[] = [];
  begin(): Unit[] {
    return [[Buffer.from('HEAD')]];
  }
  reconfigure(): Unit[] {
    return [];
  }
  frame(f: MediaFrame): Unit[] {
    this.sent.push({ track: f.track, dts: f.dts, keyframe: f.keyframe });
    return [[Buffer.alloc(f.payload.length)]];
  }
  flush(): Unit[] {
    return [];
  }
}

function setup(now = () => 0) {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
  const hub = new StreamHub({ cameras: [{ id: 'cam', name: 'Cam' }], staleTakeoverMs: 5000, log, now });
  let id = 0;
  const publish = (video: VideoConfig | null = H264, audio: AudioConfig | null = AAC) => {
    const p: Publisher = { id: ++id, peer: 'test', lastActivity: now, close() {} };
    const r = hub.claim('cam', p);
    assert.ok(r.ok);
    if (video) r.stream.pushConfig(video);
    if (audio) r.stream.pushConfig(audio);
    return { stream: r.stream, end: () => hub.release('cam', p, 'gone') };
  };
  const viewers = () => hub.list()[0].viewers;
  return { hub, log, lines, publish, viewers };
}

const video = (dts: number, keyframe: boolean, bytes = 100): MediaFrame => ({
  track: 'video', codec: 'h264', dts, pts: dts, keyframe, payload: Buffer.alloc(bytes, keyframe ? 0x65 : 0x41),
});
const audio = (dts: number): MediaFrame => ({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: Buffer.from([0x21, 0, 0]) });

/** 25 fps video from `start`, keyframe every `gop` frames, with AAC every ~23 ms between */
function frames(start: number, count: number, gop = 50, bytes = 100): MediaFrame[] {
  const out: MediaFrame[] = [];
  for (let i = 0; i < count; i++) {
    out.push(video(start + i * 40, i % gop === 0, bytes));
    out.push(audio(start + i * 40 + 5), audio(start + i * 40 + 28));
  }
  return out;
}

test('starts on the cached keyframe at once: FLV header, sequence headers, then the GOP from its keyframe at time 0', () => {
  const { publish, log, viewers } = setup();
  const { stream } = publish();
  // two GOPs in: the cache holds the second, from its keyframe at dts 12000
  for (const f of frames(10_000, 60)) stream.pushFrame(f);
  const out = new FakeOutput();
  const viewer = new LiveViewer({ format: new FlvLiveFormat(), output: out, log });
  viewer.attach(stream);
  assert.equal(viewers(), 1);
  assert.equal(out.units[0].length, 1);
  assert.equal(out.units[0][0].toString('latin1', 0, 3), 'FLV', 'the header is the first write');
  const tags = [...flvTags(out.bytes())];
  assert.deepEqual(tags.slice(0, 3).map((t) => t.type), [18, 9, 8]);
  const media = tags.slice(3);
  assert.equal(media[0].type, 9);
  assert.equal(media[0].body[0] >> 4, 1, 'first media tag is a keyframe');
  assert.equal(media[0].timestamp, 0);
  assert.equal(media.filter((t) => t.type === 9).length, 10, 'the cached GOP (frames 50..59), replayed synchronously');
  stream.pushFrame(video(12_400, false));
  assert.equal([...flvTags(out.bytes())].at(-1)!.timestamp, 400);
});

test('the client going away detaches the viewer: the count drops and nothing more is written', () => {
  const { publish, log, viewers } = setup();
  const { stream } = publish();
  const out = new FakeOutput();
  const closed: string[] = [];
  const viewer = new LiveViewer({ format: new FakeFormat(), output: out, log });
  viewer.onClose((r) => closed.push(r));
  viewer.attach(stream);
  stream.pushFrame(video(0, true));
  assert.equal(viewers(), 1);
  out.destroy('socket closed');
  assert.equal(viewers(), 0);
  assert.deepEqual(closed, ['client went away']);
  const n = out.units.length;
  stream.pushFrame(video(40, false));
  assert.equal(out.units.length, n);
});

test('slow client: over the limit frames are skipped; delivery resumes at a keyframe once below half', () => {
  const { publish, log } = setup();
  const { stream } = publish();
  const out = new FakeOutput();
  const format = new FakeFormat();
  const viewer = new LiveViewer({ format, output: out, log, maxBufferedBytes: 1000 });
  viewer.attach(stream);
  stream.pushFrame(video(0, false)); // no keyframe yet: nothing to start from
  stream.pushFrame(video(40, true));
  stream.pushFrame(audio(45));
  out.buffered = 1500;
  stream.pushFrame(video(80, false));
  stream.pushFrame(audio(85));
  out.buffered = 800; // under the limit, not yet under half
  stream.pushFrame(video(120, true));
  stream.pushFrame(video(160, false));
  out.buffered = 400;
  stream.pushFrame(audio(165)); // audio waits for the video keyframe too
  stream.pushFrame(video(200, false));
  stream.pushFrame(video(240, true));
  stream.pushFrame(audio(245));
  stream.pushFrame(video(280, false));
  assert.deepEqual(format.sent.map((s) => `${s.track[0]}${s.dts}${s.keyframe && s.track === 'video' ? 'K' : ''}`), ['v0K', 'a5', 'v200K', 'a205', 'v240']);
  assert.deepEqual({ ...viewer.stats }, { framesSent: 5, framesSkipped: 7, skips: 1 });
  assert.equal(viewer.isClosed, false);
});

test('a client over the limit for longer than maxBehindMs is closed with a log line; the recorder never notices', () => {
  let now = 0;
  const { publish, log, lines, viewers } = setup(() => now);
  const { stream } = publish();
  const recorded: number[] = [];
  stream.attach({ kind: 'recorder', onFrame: (f) => recorded.push(f.dts) });
  const out = new FakeOutput();
  const viewer = new LiveViewer({ format: new FakeFormat(), output: out, log, maxBufferedBytes: 1000, maxBehindMs: 10_000, now: () => now });
  viewer.attach(stream);
  stream.pushFrame(video(0, true));
  out.buffered = 5000; // stuck
  for (let t = 40; t <= 10_000; t += 40) {
    now = t;
    stream.pushFrame(video(t, t % 2000 === 0));
  }
  assert.equal(viewer.isClosed, false, 'at exactly 10 s over the limit it is still open');
  now = 10_080;
  stream.pushFrame(video(10_080, false));
  assert.equal(viewer.isClosed, true);
  assert.equal(out.destroyed, 'too slow');
  assert.equal(viewers(), 0);
  const line = lines.find((l) => l.msg === 'live viewer too slow, closing it');
  assert.ok(line, 'a warning names the slow viewer');
  assert.equal(line.level, 40);
  assert.equal(recorded.length, 252, 'the recorder got every frame');
});

test('memory stays bounded: an output that never drains holds at most the limit plus one frame', () => {
  const { publish, log } = setup();
  const { stream } = publish();
  const out = new FakeOutput();
  out.accumulate = true;
  const limit = 1024 * 1024;
  const viewer = new LiveViewer({ format: new FlvLiveFormat(), output: out, log, maxBufferedBytes: limit });
  viewer.attach(stream);
  for (const f of frames(0, 2000, 50, 30_000)) stream.pushFrame(f);
  assert.ok(out.maxBuffered <= limit + 30_000 + 64, `held ${out.maxBuffered} bytes`);
  assert.ok(out.maxBuffered > limit, 'it did fill up');
  assert.ok(viewer.stats.framesSkipped > 5000);
});

test('publisher reconnect (FLV): the connection stays, times keep increasing, new sequence headers come in-stream', () => {
  const { publish, log, viewers } = setup();
  const out = new FakeOutput();
  const viewer = new LiveViewer({ format: new FlvLiveFormat(), output: out, log });
  const first = publish();
  viewer.attach(first.stream);
  for (const f of frames(50_000, 75)) first.stream.pushFrame(f); // 3 s from a camera clock at 50 s
  first.end();
  const second = publish(H264, AAC); // same settings: no new sequence headers needed
  for (const f of [audio(2), ...frames(0, 50)]) second.stream.pushFrame(f); // its clock starts at 0
  second.end();
  const third = publish(H264B, AAC); // new resolution
  for (const f of frames(7_000, 50)) third.stream.pushFrame(f);
  assert.equal(viewer.isClosed, false);
  assert.equal(viewers(), 1);
  const tags = [...flvTags(out.bytes())].slice(1);
  const videoTags = tags.filter((t) => t.type === 9);
  const config = videoTags.filter((t) => t.body[1] === 0);
  assert.deepEqual(config.map((t) => t.timestamp), [0, 5000], 'sequence headers: at the start, then only for the changed config');
  assert.deepEqual(config[1].body.subarray(5), H264B.record);
  const media = videoTags.filter((t) => t.body[1] === 1).map((t) => t.timestamp);
  assert.equal(media.length, 175);
  assert.ok(media.every((ts, i) => i === 0 || ts === media[i - 1] + 40), 'video continues frame after frame across both reconnects');
  const audioTimes = tags.filter((t) => t.type === 8 && t.body[1] === 1).map((t) => t.timestamp);
  assert.ok(audioTimes.every((ts, i) => i === 0 || ts > audioTimes[i - 1]));
  assert.equal(audioTimes.length, 350, "the second publisher's audio before its first keyframe is skipped");
});

test('publisher reconnect (fMP4): a new init segment only when the codec config changed; decode times continue', () => {
  const { publish, log } = setup();
  const out = new FakeOutput();
  const viewer = new LiveViewer({ format: new Mp4LiveFormat(), output: out, log });
  const first = publish();
  viewer.attach(first.stream);
  for (const f of frames(50_000, 50)) first.stream.pushFrame(f);
  first.end();
  const second = publish();
  for (const f of frames(0, 50)) second.stream.pushFrame(f);
  second.end();
  const third = publish(H264B, AAC);
  for (const f of frames(0, 50)) third.stream.pushFrame(f);
  third.end();
  assert.equal(viewer.isClosed, false);
  assert.deepEqual(out.texts, ['video/mp4; codecs="avc1.64001f,mp4a.40.2"', 'video/mp4; codecs="avc1.640028,mp4a.40.2"']);
  const initAt = out.units.flatMap((u, i) => (u[0].toString('latin1', 4, 8) === 'ftyp' ? [i] : []));
  assert.equal(initAt.length, 2, 'init at the start and for the new config, not for the same config');
  const videoTimes: number[] = [];
  for (const [k, start] of initAt.entries()) {
    const bytes = Buffer.concat(out.units.slice(start, initAt[k + 1]).flat());
    const scan = scanFragments(bytes);
    assert.equal(scan.error, undefined);
    for (const f of scan.fragments) {
      const moof = parseMoof(bytes, readBoxHeader(bytes, f.offset)!, 0, scan.init!.tracks);
      const v = moof.trafs.find((t) => t.track.handler === 'vide');
      if (v) videoTimes.push(v.baseDecodeTime / 90);
    }
  }
  assert.equal(videoTimes.length, 150);
  assert.ok(videoTimes.every((t, i) => i === 0 || t === videoTimes[i - 1] + 40), 'one frame interval between fragments, across reconnects');
});

test('a codec change fMP4 cannot follow closes that viewer only; an FLV viewer goes on', () => {
  const { publish, log, viewers } = setup();
  const mp4 = new LiveViewer({ format: new Mp4LiveFormat(), output: new FakeOutput(), log });
  const flv = new LiveViewer({ format: new FlvLiveFormat(), output: new FakeOutput(), log });
  const first = publish();
  mp4.attach(first.stream);
  flv.attach(first.stream);
  for (const f of frames(0, 10)) first.stream.pushFrame(f);
  first.end();
  const h265: VideoConfig = { ...H264, codec: 'h265', info: { ...H264.info, codec: 'h265', codecString: 'hvc1.1.6.L93.B0' } };
  const second = publish(h265, AAC);
  second.stream.pushFrame({ track: 'video', codec: 'h265', dts: 0, pts: 0, keyframe: true, payload: Buffer.alloc(100) });
  assert.equal(mp4.isClosed, true);
  assert.equal(flv.isClosed, false);
  assert.equal(viewers(), 1);
});
