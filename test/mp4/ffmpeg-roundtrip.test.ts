/**
 * Real media through our muxer and back through ffmpeg/ffprobe: FLV fixtures
 * made by ffmpeg are demuxed with FlvDemuxer, fragmented, written to a file,
 * then decoded, probed packet by packet and remuxed with -c copy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromParameterSets } from '../../src/media/flv-media.js';
import type { AudioFrame, CodecConfig, MediaFrame, VideoFrame } from '../../src/media/frame.js';
import { Fmp4Fragmenter, type Fragment } from '../../src/mp4/fragmenter.js';
import { demuxFlvFile } from '../media/flv-file.js';
import { fixture, FIXTURES } from '../media/ffprobe.js';
import { readBoxes, readFragmentSamples, readBoxHeader, scanFragments, type BoxHeader } from '../../src/mp4/mp4-reader.js';
import { auPayload, hevcAccessUnits } from '../helpers/hevc-tags.js';

const dir = mkdtempSync(join(tmpdir(), 'mp4-roundtrip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function demux(name: string): { video?: Extract<CodecConfig, { track: 'video' }>; audio?: Extract<CodecConfig, { track: 'audio' }>; frames: MediaFrame[] } {
  const { configs, frames } = demuxFlvFile(fixture(name));
  const video = configs.find((c) => c.track === 'video') as Extract<CodecConfig, { track: 'video' }> | undefined;
  const audio = configs.find((c) => c.track === 'audio') as Extract<CodecConfig, { track: 'audio' }> | undefined;
  return { video, audio, frames };
}

function mux(m: Fmp4Fragmenter, frames: MediaFrame[]): { file: Buffer; fragments: Fragment[] } {
  const fragments = [...frames.flatMap((f) => m.push(f)), ...m.flush()];
  return { file: Buffer.concat([m.initSegment(), ...fragments.flatMap((f) => f.parts)]), fragments };
}

function write(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** stderr of ffmpeg decoding the whole file; '' means no error at all */
function decodeErrors(path: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  return r.stderr + (r.status === 0 ? '' : `exit ${r.status}`);
}

interface Probe {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number; time_base: string }[];
  packets: { stream_index: number; codec_type: string; pts: number; dts: number; size: string; flags: string }[];
  format: { duration: string };
}

function probe(path: string): Probe {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', '-show_format', '-of', 'json', path], { encoding: 'utf8', maxBuffer: 32 << 20 });
  return JSON.parse(out) as Probe;
}

/** per stream type: [pts ms, dts ms, keyframe, size] in file order, times converted with the stream time_base */
function packetsMs(p: Probe, type: string): number[][] {
  return p.packets
    .filter((x) => x.codec_type === type)
    .map((x) => {
      const [num, den] = p.streams[x.stream_index].time_base.split('/').map(Number);
      const ms = (t: number) => Math.round(((t * num) / den) * 1000);
      return [ms(x.pts), ms(x.dts), x.flags.includes('K') ? 1 : 0, Number(x.size)];
    });
}

function assertClose(actual: number[][], expected: number[][], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: packet count`);
  actual.forEach((a, i) => {
    const e = expected[i];
    assert.ok(Math.abs(a[0] - e[0]) <= 1 && Math.abs(a[1] - e[1]) <= 1, `${what} packet ${i}: ${a} vs ${e}`);
    assert.deepEqual(a.slice(2), e.slice(2), `${what} packet ${i} keyframe/size`);
  });
}

for (const name of ['h264-aac-bframes.flv', 'h264-pcma.flv', 'pcmu.flv', 'mp3.flv', 'aac-48k-mono.flv']) {
  test(`ffmpeg-made ${name} -> fMP4: decodes cleanly, same packets, streams and duration as the FLV`, () => {
    const { video, audio, frames } = demux(name);
    const { file, fragments } = mux(new Fmp4Fragmenter({ video, audio, fragmentMs: 1000, timeBase: 0 }), frames);
    const path = write(`${name}.mp4`, file);
    assert.equal(decodeErrors(path), '');
    const ours = probe(path);
    const input = probe(FIXTURES + name);
    for (const type of ['video', 'audio']) assertClose(packetsMs(ours, type), packetsMs(input, type), `${name} ${type}`);
    for (const s of input.streams) {
      const o = ours.streams.find((x) => x.codec_type === s.codec_type)!;
      assert.deepEqual([o.codec_name, o.width, o.height, o.sample_rate, o.channels], [s.codec_name, s.width, s.height, s.sample_rate, s.channels]);
    }
    // FLV's duration is ffprobe's estimate; ours ends with the last sample's duration: within one frame or so
    assert.ok(Math.abs(Number(ours.format.duration) - Number(input.format.duration)) < 0.1, `${ours.format.duration} vs ${input.format.duration}`);
    assert.ok(fragments.length >= 1 && fragments.every((f, i) => f.sequence === i + 1));

    const mkv = join(dir, `${name}.mkv`);
    const remux = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', path, '-c', 'copy', mkv], { encoding: 'utf8' });
    assert.equal(remux.stderr, '');
    assert.equal(remux.status, 0);
    assert.equal(probe(mkv).packets.length, ours.packets.length);
  });
}

test('HEVC 426x240 (Annex-B fixture as hvc1) -> fMP4: ffprobe sees hevc 426x240 and it decodes cleanly', () => {
  const { vps, sps, pps, units } = hevcAccessUnits(fixture('hevc-426x240p30.hevc'));
  const config = configFromParameterSets('h265', [vps, sps, pps]);
  assert.ok(config && config.track === 'video');
  // decode order I P B B B P; display order as ffprobe -show_frames reports it, two frames of delay
  const display = [0, 4, 2, 1, 3, 5];
  const frames: VideoFrame[] = units.map((u, i) => ({
    track: 'video', codec: 'h265', dts: i * 33, pts: (display[i] + 2) * 33, keyframe: u.keyframe, payload: auPayload(u),
  }));
  const { file } = mux(new Fmp4Fragmenter({ video: config, fragmentMs: 1000 }), frames);
  const path = write('hevc.mp4', file);
  assert.equal(decodeErrors(path), '');
  const p = probe(path);
  assert.deepEqual([p.streams[0].codec_name, p.streams[0].width, p.streams[0].height], ['hevc', 426, 240]);
  assert.deepEqual(packetsMs(p, 'video'), frames.map((f) => [f.pts, f.dts, f.keyframe ? 1 : 0, f.payload.length]));
  const mkv = join(dir, 'hevc.mkv');
  assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', path, '-c', 'copy', mkv], { encoding: 'utf8' }).stderr, '');
});

test('negative composition offsets (trun v1): ffmpeg keeps presentation order, shifting all pts by the largest negative offset', () => {
  const { video, frames } = demux('h264-aac-bframes.flv');
  // move decode times 80 ms later: offsets now range from -40 to +80 ms
  const shifted = frames.filter((f) => f.track === 'video').map((f) => ({ ...f, dts: f.dts + 80 }));
  assert.ok(shifted.some((f) => f.pts < f.dts));
  const path = write('negative-cts.mp4', mux(new Fmp4Fragmenter({ video, fragmentMs: 1000, timeBase: 0 }), shifted).file);
  assert.equal(decodeErrors(path), '');
  const got = packetsMs(probe(path), 'video');
  assert.deepEqual(got.map((p) => p[1]), shifted.map((f) => f.dts));
  const minOffset = Math.min(...shifted.map((f) => f.pts - f.dts));
  // ffmpeg's mov demuxer presents pts + max(-offset), so pts >= dts for its decoders
  assert.deepEqual(got.map((p) => p[0]), shifted.map((f) => f.pts - minOffset));
});

/** the first box of `type` under `parent`'s body, skipping `skip` bytes of fields first */
function child(file: Buffer, parent: BoxHeader, type: string, skip = 0): BoxHeader {
  const found = readBoxes(file, parent.start + parent.headerSize + skip, parent.end, 1).boxes.find((b) => b.type === type);
  assert.ok(found, `${type} in ${parent.type}`);
  return found;
}

test("ffmpeg's own fragmented MP4 (H.264 + Opus, tfhd/trex defaults) reads back exactly, and re-muxed by us decodes cleanly", () => {
  const src = join(dir, 'ffmpeg-frag.mp4');
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-c:a', 'libopus', '-b:a', '32k',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '500000', src,
  ]);
  const file = readFileSync(src);
  const scan = scanFragments(file);
  assert.equal(scan.error, undefined);
  assert.deepEqual(scan.init!.tracks.map((t) => [t.handler, t.codec]), [['vide', 'avc1'], ['soun', 'Opus']]);
  const read: Record<string, { dts: number; pts: number; keyframe: boolean; offset: number; size: number }[]> = { vide: [], soun: [] };
  for (const f of scan.fragments) {
    const moof = readBoxHeader(file, f.offset)!;
    for (const t of readFragmentSamples(file.subarray(f.offset, moof.end), moof.end, scan.init!.tracks)) read[t.handler].push(...t.samples);
  }
  // same packets as ffprobe: position, size, keyframe flag
  const probed = probe(src);
  for (const [handler, type] of [['vide', 'video'], ['soun', 'audio']]) {
    const theirs = probed.packets.filter((p) => p.codec_type === type).map((p) => [Number((p as unknown as { pos: string }).pos), Number(p.size), p.flags.includes('K')]);
    assert.deepEqual(read[handler].map((s) => [s.offset, s.size, s.keyframe]), theirs);
  }

  // rebuild frames from the byte ranges and the sample entries' records; mux them again
  const moov = readBoxHeader(file, readBoxHeader(file, 0)!.end)!;
  const stsds = readBoxes(file, moov.start + 8, moov.end, 1).boxes.filter((b) => b.type === 'trak').map((trak) =>
    child(file, child(file, child(file, child(file, trak, 'mdia'), 'minf'), 'stbl'), 'stsd'));
  const avc1 = child(file, stsds[0], 'avc1', 8);
  const avcC = child(file, avc1, 'avcC', 78); // VisualSampleEntry fields
  const dOps = child(file, child(file, stsds[1], 'Opus', 8), 'dOps', 28); // AudioSampleEntry fields
  const ops = file.subarray(dOps.start + 8, dOps.end);
  const head = Buffer.alloc(19);
  head.write('OpusHead', 'latin1');
  head[8] = 1;
  head[9] = ops[1];
  head.writeUInt16LE(ops.readUInt16BE(2), 10);
  head.writeUInt32LE(ops.readUInt32BE(4), 12);
  head.writeInt16LE(ops.readInt16BE(8), 16);
  head[18] = ops[10];
  const video: Extract<CodecConfig, { track: 'video' }> = {
    track: 'video', codec: 'h264', record: file.subarray(avcC.start + 8, avcC.end),
    info: { codec: 'h264', width: 320, height: 240, fps: 25, profile: 'High', level: 13, codecString: 'avc1.64000d' },
  };
  const audio: Extract<CodecConfig, { track: 'audio' }> = {
    track: 'audio', codec: 'opus', record: head, info: { codec: 'opus', sampleRate: 48000, channels: ops[1], objectType: null, codecString: 'opus' },
  };
  const frames: MediaFrame[] = [
    ...read.vide.map((s): VideoFrame => ({ track: 'video', codec: 'h264', dts: s.dts, pts: s.pts, keyframe: s.keyframe, payload: file.subarray(s.offset, s.offset + s.size) })),
    ...read.soun.map((s): AudioFrame => ({ track: 'audio', codec: 'opus', dts: s.dts, pts: s.dts, keyframe: true, payload: file.subarray(s.offset, s.offset + s.size) })),
  ].sort((a, b) => a.dts - b.dts);
  const ours = write('opus-remux.mp4', mux(new Fmp4Fragmenter({ video, audio, fragmentMs: 1000, timeBase: 0 }), frames).file);
  assert.equal(decodeErrors(ours), '');
  const p = probe(ours);
  assert.deepEqual(p.streams.map((s) => [s.codec_name, s.sample_rate ?? s.width, s.channels ?? s.height]), [['h264', 320, 240], ['opus', '48000', 1]]);
  assert.deepEqual(packetsMs(p, 'audio').map((x) => x[3]), read.soun.map((s) => s.size));
  // Opus timing from the TOC byte (20 ms packets), re-anchored where ffmpeg's own file has a gap (after its first packet)
  assert.deepEqual(packetsMs(p, 'audio').map((x) => x[1]), read.soun.map((s) => s.dts));
});
