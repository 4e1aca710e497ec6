/**
 * Mp4LiveFormat: the init segment and MIME type, G.711 left out (MSE cannot
 * play it), one fragment per video frame starting on a keyframe, decode
 * times from 0, and what a codec change after a reconnect produces.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveMimeType, Mp4LiveFormat } from '../../src/live/mp4-live.js';
import type { AudioConfig, LiveTracks, VideoConfig } from '../../src/live/viewer.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { isSync, parseMoof, readBoxHeader, scanFragments } from '../../src/mp4/mp4-reader.js';
import { AAC_CONFIG, pcmaConfig } from '../helpers/codec-configs.js';

const H264: VideoConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee]),
  info: { codec: 'h264', width: 640, height: 360, fps: 25, profile: 'High', level: 31, codecString: 'avc1.64001f' },
};
const H265: VideoConfig = {
  track: 'video',
  codec: 'h265',
  record: Buffer.alloc(23, 1),
  info: { codec: 'h265', width: 640, height: 360, fps: 25, profile: 'Main', level: 93, codecString: 'hvc1.1.6.L93.B0' },
};
const AAC = AAC_CONFIG;
const PCMA = pcmaConfig(1);
const tracks = (video: VideoConfig | null, audio: AudioConfig | null): LiveTracks => ({ video, audio, metadata: null });

function nal(n: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(16, 0);
  b.writeUInt32BE(n, 4);
  return b;
}

/** 25 fps video with a keyframe every `gop` frames, and AAC (1024 samples at 44.1 kHz), interleaved by dts */
function stream(seconds: number, gop = 50, audio: 'aac' | 'pcma' | null = 'aac'): MediaFrame[] {
  const frames: MediaFrame[] = [];
  for (let i = 0; i < seconds * 25; i++) frames.push({ track: 'video', codec: 'h264', dts: i * 40, pts: i * 40, keyframe: i % gop === 0, payload: nal(i) });
  if (audio === 'aac') for (let i = 0; i * 1024 * 1000 < seconds * 1000 * 44100; i++) {
    const dts = Math.round((i * 1024 * 1000) / 44100);
    frames.push({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: Buffer.from([0x21, i & 0xff, 0]) });
  }
  if (audio === 'pcma') for (let i = 0; i < seconds * 50; i++) frames.push({ track: 'audio', codec: 'pcma', dts: i * 20, pts: i * 20, keyframe: true, payload: Buffer.alloc(160, 0xd5) });
  return frames.sort((a, b) => a.dts - b.dts || (a.track === 'video' ? -1 : 1));
}

function parse(bytes: Buffer) {
  const scan = scanFragments(bytes);
  assert.equal(scan.error, undefined);
  assert.equal(scan.validEnd, bytes.length);
  const tracks = scan.init!.tracks;
  const moofs = scan.fragments.map((f) => parseMoof(bytes, readBoxHeader(bytes, f.offset)!, 0, tracks));
  return { tracks, moofs, fragments: scan.fragments };
}

test('init segment and MIME type: H.264 + AAC', () => {
  const f = new Mp4LiveFormat();
  const [[init]] = f.begin(tracks(H264, AAC))!;
  assert.equal(init.toString('latin1', 4, 8), 'ftyp');
  assert.equal(f.mimeType(), 'video/mp4; codecs="avc1.64001f,mp4a.40.2"');
  assert.equal(liveMimeType(H264, AAC), f.mimeType());
  const { tracks: t } = parse(init);
  assert.deepEqual(t.map((x) => x.codec), ['avc1', 'mp4a']);
});

test('G.711 audio is left out for MSE: video-only init, its frames produce nothing; a G.711-only camera has nothing to play', () => {
  const f = new Mp4LiveFormat();
  const [[init]] = f.begin(tracks(H264, PCMA))!;
  assert.deepEqual(parse(init).tracks.map((x) => x.codec), ['avc1']);
  assert.equal(f.mimeType(), 'video/mp4; codecs="avc1.64001f"');
  assert.equal(liveMimeType(H264, PCMA), 'video/mp4; codecs="avc1.64001f"');
  const units = stream(2, 50, 'pcma').flatMap((x) => f.frame(x));
  const { moofs } = parse(Buffer.concat([init, ...units.flat(), ...f.flush().flat()]));
  assert.ok(moofs.every((m) => m.trafs.length === 1 && m.trafs[0].track.handler === 'vide'));
  assert.equal(new Mp4LiveFormat().begin(tracks(null, PCMA)), null);
  assert.equal(liveMimeType(null, PCMA), null);
});

test('one fragment per video frame, the first starting on a keyframe at decode time 0', () => {
  const f = new Mp4LiveFormat();
  const head = f.begin(tracks(H264, AAC))!;
  const frames = stream(4);
  const units: Buffer[][] = [];
  const perFrame: number[] = [];
  for (const x of frames) {
    const u = f.frame(x);
    if (x.track === 'video') perFrame.push(u.length);
    units.push(...u);
  }
  // the first frame is held back until the next gives its duration; from then on, one fragment each
  assert.deepEqual(perFrame.slice(0, 3), [0, 1, 1]);
  assert.ok(perFrame.slice(1).every((n) => n === 1));
  const { moofs } = parse(Buffer.concat([...head, ...units, ...f.flush()].flat()));
  assert.equal(moofs.length, 100);
  const v = (m: (typeof moofs)[number]) => m.trafs.find((t) => t.track.handler === 'vide')!;
  assert.ok(moofs.every((m) => v(m).samples.length === 1));
  assert.equal(v(moofs[0]).baseDecodeTime, 0);
  assert.ok(isSync(v(moofs[0]).samples[0].flags));
  assert.ok(moofs.every((m, i) => v(m).baseDecodeTime === i * 3600), 'one 40 ms frame (3600 ticks at 90 kHz) each');
  assert.ok(isSync(v(moofs[50]).samples[0].flags), 'the second GOP starts with a sync sample');
  assert.ok(!isSync(v(moofs[1]).samples[0].flags));
  // the audio keeps up: each fragment has the audio up to its video frame's end
  const audioSamples = moofs.reduce((n, m) => n + (m.trafs.find((t) => t.track.handler === 'soun')?.samples.length ?? 0), 0);
  assert.ok(audioSamples >= 170, `${audioSamples} AAC frames in 4 s`);
  assert.equal(f.stats.fragments, 100);
  const avg = (f.stats.endMs - f.stats.firstMs) / f.stats.fragments;
  assert.ok(Math.abs(avg - 40) < 5, `fragments last about one frame interval (40 ms): ${avg}`);
});

test('reconfigure: same config -> nothing; new parameter sets -> flush and a new init; another codec -> cannot follow', () => {
  const f = new Mp4LiveFormat();
  const head = f.begin(tracks(H264, AAC))!;
  const first = stream(1).flatMap((x) => f.frame(x));
  assert.deepEqual(f.reconfigure(tracks(H264, AAC)), []);
  const h264b: VideoConfig = { ...H264, record: Buffer.concat([H264.record, Buffer.from([0])]), info: { ...H264.info, codecString: 'avc1.640028' } };
  const units = f.reconfigure(tracks(h264b, AAC))!;
  const inits = units.filter((u) => u[0].toString('latin1', 4, 8) === 'ftyp');
  assert.equal(inits.length, 1);
  assert.equal(units[units.length - 1], inits[0], 'the flushed fragment, then the init');
  assert.equal(f.mimeType(), 'video/mp4; codecs="avc1.640028,mp4a.40.2"');
  // held-back frames of the old config went out before the new init: the first part parses whole
  parse(Buffer.concat([...head, ...first, ...units.slice(0, -1)].flat()));
  // an audio track the viewer did not start with is not added (MSE wants the same track set)
  const noAudio = new Mp4LiveFormat();
  noAudio.begin(tracks(H264, null));
  assert.deepEqual(noAudio.reconfigure(tracks(H264, AAC)), []);
  assert.equal(f.reconfigure(tracks(H265, AAC)), null);
});
