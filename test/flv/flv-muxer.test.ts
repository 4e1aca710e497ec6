import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FLV_TAG_HEADER_SIZE, flvConfigTag, flvFileHeader, flvFrameTag, flvScriptTag, flvTagSize,
} from '../../src/flv/flv-muxer.js';
import { scanFlv } from '../../src/flv/flv-scanner.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import type { AudioInfo, CodecConfig, MediaFrame, VideoFrame } from '../../src/media/frame.js';
import { decodeAmf0 } from '../../src/rtmp/amf0.js';
import { flvTags } from '../media/flv-file.js';
import { fixture, FIXTURES } from '../media/ffprobe.js';
import { auPayload, enhancedHevcTag, hevcAccessUnits, hevcRecord } from '../helpers/hevc-tags.js';

const hex = (b: Buffer) => b.toString('hex');
const AVC_RECORD = Buffer.from('0164001fffe1000467640020e1000468ee3cb0', 'hex'); // shape only: never parsed here
const avcConfig = { track: 'video', codec: 'h264', record: AVC_RECORD, info: {} } as unknown as CodecConfig;
const video = (dts: number, pts: number, keyframe: boolean, codec: 'h264' | 'h265' = 'h264'): VideoFrame =>
  ({ track: 'video', codec, dts, pts, keyframe, payload: Buffer.from([0, 0, 0, 2, 0x65, 0x88]) });
const audio = (codec: MediaFrame['codec'], payload = Buffer.from([1, 2, 3])): MediaFrame =>
  ({ track: 'audio', codec, dts: 0, pts: 0, keyframe: true, payload }) as MediaFrame;
const info = (sampleRate: number, channels: number) => ({ sampleRate, channels }) as AudioInfo;

test('file header: 9 bytes + PreviousTagSize0 (E.2)', () => {
  assert.equal(hex(flvFileHeader({ audio: true, video: true })), '464c5601' + '05' + '00000009' + '00000000');
  assert.equal(flvFileHeader({ audio: true, video: false })[4], 0x04);
  assert.equal(flvFileHeader({ audio: false, video: true })[4], 0x01);
});

test('onMetaData script tag: AMF0 name + ECMA array, like ffmpeg', () => {
  const tag = flvScriptTag('onMetaData', { width: 320, stereo: true, encoder: 'lan-nvr' });
  const size = tag.length - 15;
  assert.equal(hex(tag.subarray(0, 11)), `12${size.toString(16).padStart(6, '0')}` + '000000' + '00' + '000000');
  const body = tag.subarray(11, 11 + size);
  // AMF0 string "onMetaData", then ECMA array marker 08 with its U32 count
  assert.equal(hex(body.subarray(0, 18)), '02000a' + hex(Buffer.from('onMetaData')) + '0800000003');
  assert.equal(hex(body.subarray(-3)), '000009'); // empty key + object-end marker
  assert.equal(tag.readUInt32BE(tag.length - 4), 11 + size);
  const [name, values] = decodeAmf0(body);
  assert.equal(name, 'onMetaData');
  assert.deepEqual({ ...(values as object) }, { width: 320, stereo: true, encoder: 'lan-nvr' });
});

test('AVC sequence header and NALU tags, negative SI24 composition time', () => {
  const cfg = flvConfigTag(avcConfig, 0)!;
  const dataSize = 5 + AVC_RECORD.length;
  assert.equal(hex(cfg.subarray(0, 16)), `09${dataSize.toString(16).padStart(6, '0')}00000000000000` + '1700000000');
  assert.deepEqual(cfg.subarray(16, 16 + AVC_RECORD.length), AVC_RECORD);
  assert.equal(cfg.readUInt32BE(cfg.length - 4), 11 + dataSize);

  const f = video(100, 99, false);
  const parts = flvFrameTag(f, 100);
  assert.equal(parts.length, 3);
  assert.equal(hex(parts[0]), '09' + '00000b' + '000064' + '00' + '000000' + '2701ffffff');
  assert.equal(parts[1], f.payload, 'payload is the frame Buffer itself, not a copy');
  assert.equal(hex(parts[2]), (11 + 5 + 6).toString(16).padStart(8, '0'));
  assert.equal(flvTagSize(f), Buffer.concat(parts).length);
  assert.equal(hex(flvFrameTag(video(0, 66, true), 0)[0].subarray(11)), '1701000042');
  assert.equal(hex(flvFrameTag(video(0, -0x800000, true), 0)[0].subarray(13)), '800000');
  assert.throws(() => flvFrameTag(video(0, 0x800000, true), 0), RangeError);
});

test('timestamps: 24 bits + TimestampExtended; out of range throws RangeError', () => {
  const ts = (t: number) => hex(flvFrameTag(video(0, 0, true), t)[0].subarray(4, 8));
  assert.equal(ts(0x01000000), '00000001');
  assert.equal(ts(0x12345678), '34567812');
  assert.equal(ts(0xffffffff), 'ffffffff');
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) {
    assert.throws(() => flvFrameTag(video(0, 0, true), bad), RangeError, String(bad));
    assert.throws(() => flvConfigTag(avcConfig, bad), RangeError);
  }
  const huge = { ...video(0, 0, true), payload: Buffer.alloc(16 * 1024 * 1024) };
  assert.throws(() => flvFrameTag(huge, 0), RangeError);
});

test('HEVC as E-RTMP hvc1: SequenceStart, CodedFrames with SI24, CodedFramesX when 0', () => {
  const hvc = { track: 'video', codec: 'h265', record: Buffer.from([1, 2, 3]), info: {} } as unknown as CodecConfig;
  assert.equal(hex(flvConfigTag(hvc, 0)!.subarray(11, -4)), '90' + hex(Buffer.from('hvc1')) + '010203');
  assert.equal(hex(flvFrameTag(video(0, 0, true, 'h265'), 0)[0].subarray(11)), '93' + hex(Buffer.from('hvc1')));
  assert.equal(hex(flvFrameTag(video(0, -1, false, 'h265'), 0)[0].subarray(11)), 'a1' + hex(Buffer.from('hvc1')) + 'ffffff');
  for (const f of [video(0, 0, true, 'h265'), video(0, 33, false, 'h265')]) {
    assert.equal(flvTagSize(f), Buffer.concat(flvFrameTag(f, 0)).length);
  }
});

test('audio flags: AAC 0xAF, G.711 as ffmpeg writes them, MP3 from AudioInfo, Opus skipped', () => {
  const aac = { track: 'audio', codec: 'aac', record: Buffer.from([0x12, 0x10]), info: {} } as unknown as CodecConfig;
  assert.equal(hex(flvConfigTag(aac, 5)!), '08' + '000004' + '000005' + '00' + '000000' + 'af00' + '1210' + '0000000f');
  const first = (f: MediaFrame, a?: AudioInfo) => hex(flvFrameTag(f, 0, a)[0].subarray(11));
  assert.equal(first(audio('aac')), 'af01');
  assert.equal(first(audio('pcma')), '72');
  assert.equal(first(audio('pcma'), info(8000, 2)), '73');
  assert.equal(first(audio('pcmu'), info(8000, 1)), '82');
  assert.equal(first(audio('mp3'), info(22050, 1)), '2a');
  assert.equal(first(audio('mp3'), info(44100, 2)), '2f');
  assert.equal(first(audio('mp3'), info(8000, 1)), 'e2');
  for (const c of ['pcma', 'pcmu', 'mp3'] as const) {
    assert.equal(flvConfigTag({ ...(aac as object), codec: c } as CodecConfig, 0), null);
    assert.equal(flvTagSize(audio(c)), Buffer.concat(flvFrameTag(audio(c), 7)).length);
  }
  assert.equal(flvConfigTag({ ...(aac as object), codec: 'opus' } as CodecConfig, 0), null);
  assert.deepEqual(flvFrameTag(audio('opus'), 0), []);
  assert.equal(flvTagSize(audio('opus')), 0);
});

// ---- round trip through ffmpeg -------------------------------------------

function demux(name: string): Array<{ config: CodecConfig } | { frame: MediaFrame }> {
  const d = new FlvDemuxer();
  const out: Array<{ config: CodecConfig } | { frame: MediaFrame }> = [];
  for (const tag of flvTags(fixture(name))) {
    if (tag.type !== 8 && tag.type !== 9) continue;
    for (const o of d.push(tag.type === 9 ? 'video' : 'audio', tag.timestamp, tag.body)) {
      if (o.type === 'config') out.push({ config: o.config });
      else if (o.type === 'frame') out.push({ frame: o.frame });
      else assert.fail(o.message);
    }
  }
  return out;
}

/** What the recorder will do: header, onMetaData, then configs and frames in arrival order. */
function mux(items: ReturnType<typeof demux>): Buffer {
  const configs = items.flatMap((i) => ('config' in i ? [i.config] : []));
  const v = configs.find((c) => c.track === 'video');
  const a = configs.find((c) => c.track === 'audio');
  const meta: Record<string, number | string | boolean> = { encoder: 'lan-nvr' };
  if (v?.track === 'video') Object.assign(meta, { width: v.info.width, height: v.info.height, framerate: v.info.fps ?? 0, videocodecid: 7 });
  if (a?.track === 'audio') {
    Object.assign(meta, { audiocodecid: { aac: 10, pcma: 7, pcmu: 8, mp3: 2, opus: 9 }[a.codec], audiosamplerate: a.info.sampleRate, stereo: a.info.channels > 1 });
  }
  const parts: Buffer[] = [flvFileHeader({ audio: !!a, video: !!v }), flvScriptTag('onMetaData', meta)];
  let audioInfo: AudioInfo | undefined;
  for (const i of items) {
    if ('config' in i) {
      if (i.config.track === 'audio') audioInfo = i.config.info;
      const tag = flvConfigTag(i.config, 0);
      if (tag) parts.push(tag);
    } else {
      parts.push(...flvFrameTag(i.frame, i.frame.dts, audioInfo));
    }
  }
  return Buffer.concat(parts);
}

const probe = (path: string, what: string) =>
  JSON.parse(execFileSync('ffprobe', ['-v', 'error', what, '-of', 'json', path], { encoding: 'utf8', maxBuffer: 32 << 20 }));
const packets = (path: string) =>
  (probe(path, '-show_packets').packets as Record<string, unknown>[]).map((p) => [p.codec_type, p.pts, p.dts, p.size, p.flags]);
const streams = (path: string) =>
  (probe(path, '-show_streams').streams as Record<string, unknown>[]).map((s) =>
    [s.codec_type, s.codec_name, s.profile, s.width, s.height, s.sample_rate, s.channels]);

for (const name of ['h264-aac-bframes.flv', 'h264-pcma.flv']) {
  test(`round trip through ffmpeg: ${name} demuxed, muxed by us, read by ffmpeg 5.1 like the original`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'flv-mux-'));
    try {
      const items = demux(name);
      const file = mux(items);
      const out = join(dir, 'out.flv');
      writeFileSync(out, file);
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decode.status, 0);
      assert.equal(decode.stderr, '', 'ffmpeg decodes our file without a complaint');
      const original = FIXTURES + name;
      assert.deepEqual(packets(out), packets(original));
      assert.deepEqual(streams(out), streams(original));
      if (name === 'h264-pcma.flv') assert.deepEqual(streams(out)[1].slice(5), ['8000', 1]);
      assert.equal(probe(out, '-show_format').format.tags.encoder, 'lan-nvr');
      // the recorder's offsets: flvTagSize matches what the scanner finds in the file
      const scanned = scanFlv(file);
      assert.equal(scanned.error, undefined);
      const frameTags = scanned.tags.filter((t) => t.type !== 'script' && !t.isSequenceHeader);
      const frames = items.flatMap((i) => ('frame' in i ? [i.frame] : []));
      assert.deepEqual(frameTags.map((t) => t.size), frames.map(flvTagSize));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ffmpeg 5.1's flvdec predates Enhanced RTMP and cannot read hvc1 tags, so
// HEVC is read back with our own FlvDemuxer and scanner only.
test('HEVC round trip: our muxer -> scanner and FlvDemuxer (timestamps past 2^24)', () => {
  const { vps, sps, pps, units } = hevcAccessUnits(fixture('hevc-426x240p30.hevc'));
  const d = new FlvDemuxer();
  const [cfgOut] = d.push('video', 0, enhancedHevcTag('config', true, hevcRecord(vps, sps, pps)));
  assert.equal(cfgOut.type, 'config');
  const config = (cfgOut as { config: CodecConfig }).config;
  const base = 0xffffd0;
  const cts = [66, 132, 0, -33, 33, 0];
  const frames: VideoFrame[] = units.map((u, i) => ({
    track: 'video', codec: 'h265', dts: base + i * 33, pts: base + i * 33 + cts[i % 6], keyframe: u.keyframe, payload: auPayload(u),
  }));
  const file = Buffer.concat([flvFileHeader({ audio: false, video: true }), flvConfigTag(config, base)!, ...frames.flatMap((f) => flvFrameTag(f, f.dts))]);
  const scanned = scanFlv(file);
  assert.equal(scanned.validEnd, file.length);
  assert.deepEqual(scanned.tags.map((t) => [t.type, t.timestamp, t.keyframe, t.isSequenceHeader]), [
    ['video', base, true, true], ...frames.map((f) => ['video', f.dts, f.keyframe, false]),
  ]);
  const back = new FlvDemuxer();
  const outs = [...flvTags(file)].flatMap((t) => back.push('video', t.timestamp, t.body));
  assert.deepEqual(outs[0], { type: 'config', config });
  assert.deepEqual(outs.slice(1), frames.map((frame) => ({ type: 'frame', frame })));
  assert.ok(frames.some((f) => f.pts < f.dts) && frames.at(-1)!.dts > 0xffffff);
});

test('FLV_TAG_HEADER_SIZE is the E.4.1 header size', () => assert.equal(FLV_TAG_HEADER_SIZE, 11));
