/**
 * FlvLiveFormat byte by byte: header flags, our onMetaData, sequence headers,
 * tags whose PreviousTagSize chain parses, payloads passed through uncopied,
 * and sequence headers sent again in-stream only for configs that changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlvLiveFormat } from '../../src/live/flv-live.js';
import type { AudioConfig, LiveTracks, VideoConfig } from '../../src/live/viewer.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { flvTags } from '../media/flv-file.js';
import { AAC_CONFIG, H264_CONFIG } from '../helpers/codec-configs.js';

const H264 = H264_CONFIG;
const AAC = AAC_CONFIG;
const OPUS: AudioConfig = {
  track: 'audio',
  codec: 'opus',
  record: Buffer.alloc(19),
  info: { codec: 'opus', sampleRate: 48000, channels: 2, objectType: null, codecString: 'opus' },
};
const tracks = (video: VideoConfig | null, audio: AudioConfig | null): LiveTracks => ({ video, audio, metadata: { duration: 99, junk: 'x' } });

const video = (dts: number, keyframe: boolean, cts = 0): MediaFrame => ({
  track: 'video', codec: 'h264', dts, pts: dts + cts, keyframe, payload: Buffer.from([0, 0, 0, 2, keyframe ? 0x65 : 0x41, dts & 0xff]),
});
const audio = (dts: number): MediaFrame => ({ track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: Buffer.from([0x21, dts & 0xff]) });

test('begin: FLV header with the tracks present, then our onMetaData, then the sequence headers', () => {
  const f = new FlvLiveFormat();
  const units = f.begin(tracks(H264, AAC));
  assert.equal(units.length, 4);
  const header = Buffer.concat(units[0]);
  assert.equal(header.length, 13, '9-byte header + PreviousTagSize0');
  assert.equal(header.toString('latin1', 0, 3), 'FLV');
  assert.equal(header[3], 1);
  assert.equal(header[4], 0x05, 'audio and video flags');
  const tags = [...flvTags(Buffer.concat(units.flat()))];
  assert.deepEqual(tags.map((t) => [t.type, t.timestamp]), [[18, 0], [9, 0], [8, 0]]);
  const script = tags[0].body.toString('latin1');
  assert.ok(script.includes('onMetaData') && script.includes('width') && script.includes('videocodecid'));
  assert.ok(!script.includes('junk') && !script.includes('duration'), "the publisher's metadata is not passed on");
  assert.deepEqual([...tags[1].body.subarray(0, 5)], [0x17, 0, 0, 0, 0], 'AVC sequence header');
  assert.deepEqual(tags[1].body.subarray(5), H264.record);
  assert.deepEqual([...tags[2].body], [0xaf, 0, 0x12, 0x10], 'AAC sequence header');
});

test('header flags follow the tracks: video only, and Opus (not writable in FLV) counts as no audio', () => {
  assert.equal(Buffer.concat(new FlvLiveFormat().begin(tracks(H264, null))[0])[4], 0x01);
  assert.equal(Buffer.concat(new FlvLiveFormat().begin(tracks(H264, OPUS))[0])[4], 0x01);
  assert.equal(Buffer.concat(new FlvLiveFormat().begin(tracks(null, AAC))[0])[4], 0x04);
});

test('frames: one unit per tag, timestamps as given, signed composition time, payload not copied', () => {
  const f = new FlvLiveFormat();
  const head = f.begin(tracks(H264, AAC));
  const frames = [video(0, true), audio(10), video(40, false, 80), video(80, false, -40), audio(33)];
  const units = frames.map((x) => f.frame(x));
  for (const [i, u] of units.entries()) {
    assert.equal(u.length, 1);
    assert.equal(u[0][1], frames[i].payload, 'the frame payload itself');
  }
  const tags = [...flvTags(Buffer.concat([...head, ...units.flat()].flat()))].slice(3);
  assert.deepEqual(tags.map((t) => [t.type, t.timestamp]), [[9, 0], [8, 10], [9, 40], [9, 80], [8, 33]]);
  assert.equal(tags[0].body[0], 0x17);
  assert.equal(tags[2].body[0], 0x27);
  assert.equal(tags[2].body.readIntBE(2, 3), 80);
  assert.equal(tags[3].body.readIntBE(2, 3), -40);
  assert.deepEqual(f.flush(), []);
});

test('reconfigure: only configs that changed are sent again, in-stream at the given time', () => {
  const f = new FlvLiveFormat();
  f.begin(tracks(H264, AAC));
  assert.deepEqual(f.reconfigure(tracks(H264, AAC), 5000), []);
  const h264b: VideoConfig = { ...H264, record: Buffer.concat([H264.record, Buffer.from([0])]) };
  const units = f.reconfigure(tracks(h264b, AAC), 5000);
  const tags = [...flvTags(Buffer.concat([Buffer.concat(new FlvLiveFormat().begin(tracks(H264, null))[0]), ...units.flat()]))];
  assert.deepEqual(tags.map((t) => [t.type, t.timestamp]), [[9, 5000]]);
  assert.deepEqual(tags[0].body.subarray(5), h264b.record);
  // a track missing after a reconnect (no config yet) keeps its old one: nothing to send
  assert.deepEqual(f.reconfigure(tracks(h264b, null), 6000), []);
});
