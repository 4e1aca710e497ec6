/**
 * Seed inputs for the fuzz targets: the captured ffmpeg and GStreamer RTMP
 * sessions and handshakes, the media fixtures, and FLV / fMP4 segment files
 * written by our own segment writers from those fixtures (what recovery and
 * export read back). Built once per process, lazily.
 */
import { readFileSync } from 'node:fs';
import { encodeAmf0, EcmaArray } from '../../src/rtmp/amf0.js';
import { encodeAmf3 } from '../../src/rtmp/amf3.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { ServerHandshake } from '../../src/rtmp/handshake.js';
import { MessageType, type RawMessage } from '../../src/rtmp/message-types.js';
import { splitAnnexB } from '../../src/media/annexb.js';
import { buildAvcConfig } from '../../src/media/avc-config.js';
import { parseVideoBody } from '../../src/media/flv-media.js';
import { opusConfig } from '../../src/media/flv-audio.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { FlvSegmentWriter } from '../../src/recording/formats/flv-segment.js';
import { Mp4SegmentWriter } from '../../src/recording/formats/mp4-segment.js';
import type { SegmentWriter } from '../../src/recording/formats/segment-writer.js';
import { encodeKeyframes } from '../../src/recording/keyframe-index.js';
import { box, fourcc, fullBox, toBuffer, u32, zeros } from '../../src/mp4/boxes.js';
import { enhancedHevcTag, hevcAccessUnits, hevcRecord, legacyHevcTag, auPayload } from '../helpers/hevc-tags.js';
import { demuxFlvFile, flvTags } from '../media/flv-file.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, FIXTURES));

/** C0+C1+C2 of a publishing client. */
export const HANDSHAKE_BYTES = 1 + 1536 * 2;

export const MEDIA_FLV = ['h264-aac-bframes.flv', 'h264-pcma.flv', 'pcmu.flv', 'mp3.flv', 'aac-48k-mono.flv', 'aac-ltp-8k-mono.flv'];

export interface Corpus {
  /** whole client byte streams: handshake then chunk stream */
  sessions: Buffer[];
  /** the chunk streams alone (after C0+C1+C2) */
  chunkStreams: Buffer[];
  /** C0+C1(+C2) from real clients */
  clientHandshakes: Buffer[];
  /** S0+S1+S2 from our server, plain and digest */
  serverHandshakes: Buffer[];
  /** reassembled messages of the sessions */
  messages: RawMessage[];
  amf0: Buffer[];
  amf3: Buffer[];
  videoBodies: Buffer[];
  audioBodies: Buffer[];
  avcc: Buffer[];
  hvcc: Buffer[];
  h264Sps: Buffer[];
  hevcSps: Buffer[];
  asc: Buffer[];
  annexB: Buffer[];
  lengthPrefixed: Buffer[];
  flvFiles: Buffer[];
  mp4Files: Buffer[];
  keyframeIndexes: Buffer[];
  /** demuxed fixtures, for round trips */
  media: { name: string; configs: CodecConfig[]; frames: MediaFrame[] }[];
}

let built: Corpus | null = null;

export function corpus(): Corpus {
  built ??= build();
  return built;
}

function messagesOf(stream: Buffer): RawMessage[] {
  const reader = new ChunkReader();
  // the captures end mid-message: complete messages only
  return reader.push(stream);
}

function serverReply(clientDigest: boolean): Buffer {
  const client = new ClientHandshake({ digest: clientDigest });
  const server = new ServerHandshake();
  return Buffer.concat(server.feed(client.start()).send);
}

function writeSegment(writer: SegmentWriter, frames: MediaFrame[]): Buffer {
  const parts = [...writer.begin()];
  const t0 = frames[0]?.dts ?? 0;
  for (const f of frames) parts.push(...writer.frame(f, f.dts - t0).parts);
  parts.push(...writer.end().parts);
  return Buffer.concat(parts);
}

/**
 * Hand-made small files: the least a reader accepts (one sound track whose
 * sample entry is cut short at the end of the moov), and a 16-byte ftyp.
 * Small seeds let mutations reach every field.
 */
function minimalMp4s(): Buffer[] {
  const entry = Buffer.concat([u32(16), fourcc('mp4a'), zeros(8)]);
  const moov = box('moov', box('trak',
    fullBox('tkhd', 0, 3, zeros(8), u32(2), zeros(4)),
    box('mdia', fullBox('mdhd', 0, 0, zeros(8), u32(8000), zeros(8)), fullBox('hdlr', 0, 0, zeros(4), fourcc('soun'), zeros(12)),
      box('minf', box('stbl', fullBox('stsd', 0, 0, u32(1), entry))))));
  return [toBuffer(box('ftyp', fourcc('isom'), u32(0), fourcc('isom')), moov), toBuffer(box('ftyp', fourcc('isom'), u32(0)), moov)];
}

function build(): Corpus {
  const sessions = [read('rtmp/ffmpeg-session.bin'), read('rtmp/gstreamer-session.bin')];
  const chunkStreams = sessions.map((s) => s.subarray(HANDSHAKE_BYTES));
  const messages = chunkStreams.flatMap(messagesOf);
  const amfMessages = messages.filter((m) => m.type === MessageType.CommandAmf0 || m.type === MessageType.DataAmf0);

  const media = MEDIA_FLV.map((name) => ({ name, ...demuxFlvFile(read(`media/${name}`)) }));
  const flvFixtures = MEDIA_FLV.map((name) => read(`media/${name}`));
  const tagsOf = (type: number) => flvFixtures.flatMap((f) => [...flvTags(f)].filter((t) => t.type === type).slice(0, 12).map((t) => t.body));

  const avcNals = [read('media/h264-720p25.h264'), read('media/h264-1080p30.h264'), read('media/h264-422-cqm-interlaced-320x180.h264')].map(splitAnnexB);
  const h264Sps = avcNals.map((n) => n.find((x) => (x[0] & 0x1f) === 7)!);
  const h264Pps = avcNals.map((n) => n.find((x) => (x[0] & 0x1f) === 8)!);
  const hevc = hevcAccessUnits(read('media/hevc-426x240p30.hevc'));
  const hvcc = [read('media/hevc-426x240p30.hvcC'), hevcRecord(hevc.vps, hevc.sps, hevc.pps)];
  const hevcBodies = [
    legacyHevcTag('config', true, hvcc[1]),
    enhancedHevcTag('config', true, hvcc[0]),
    ...hevc.units.slice(0, 3).flatMap((u) => [
      legacyHevcTag('frame', u.keyframe, auPayload(u).subarray(0, 300)),
      enhancedHevcTag('frame', u.keyframe, auPayload(u).subarray(0, 300)),
      enhancedHevcTag('framex', u.keyframe, auPayload(u).subarray(0, 300)),
    ]),
  ];
  const annexB = avcNals.map((nals) => Buffer.concat(nals.slice(0, 4).flatMap((n) => [Buffer.from([0, 0, 0, 1]), n.subarray(0, 400)])));

  // our segment writers over the fixtures; HEVC too (written as E-RTMP hvc1 / hvc1 sample entries)
  const hevcParsed = parseVideoBody(enhancedHevcTag('config', true, hvcc[0]), 0);
  if (hevcParsed.kind !== 'config') throw new Error('HEVC fixture config does not parse');
  const hevcFrames: MediaFrame[] = hevc.units.map((u, i) => ({ track: 'video', codec: 'h265', dts: i * 33, pts: i * 33, keyframe: u.keyframe, payload: auPayload(u) }));
  const hevcMedia = {
    name: 'hevc-426x240p30',
    configs: [hevcParsed.config as CodecConfig],
    frames: hevcFrames,
  };
  // E-RTMP Opus: written to fMP4 only (the FLV writer leaves Opus out by design)
  const opusHead = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
  const opusMedia = {
    name: 'opus-synthetic',
    configs: [opusConfig(opusHead) as CodecConfig],
    frames: Array.from({ length: 50 }, (_, i): MediaFrame => ({ track: 'audio', codec: 'opus', dts: i * 20, pts: i * 20, keyframe: true, payload: Buffer.from([0xfc, i, i + 1, i + 2]) })),
  };
  const segmentSources = [...media, hevcMedia, opusMedia];
  const tracksOf = (configs: CodecConfig[]) => ({ video: configs.find((c) => c.track === 'video') ?? null, audio: configs.find((c) => c.track === 'audio') ?? null });
  // keep generated files small: a second or so of each source is plenty for mutations
  const head = (frames: MediaFrame[]) => frames.filter((f) => f.dts - frames[0].dts < 1200);
  const flvFiles = [...flvFixtures.filter((f) => f.length < 20_000), ...segmentSources.map((s) => writeSegment(new FlvSegmentWriter(tracksOf(s.configs)), head(s.frames)))];
  const mp4Files = [...segmentSources.map((s) => writeSegment(new Mp4SegmentWriter(tracksOf(s.configs)), head(s.frames))), ...minimalMp4s()];

  return {
    sessions,
    chunkStreams,
    clientHandshakes: [read('handshake/ffmpeg-c0c1.bin'), read('handshake/gstreamer-c0c1.bin'), read('handshake/ffmpeg-play-c0c1c2.bin'), ...sessions.map((s) => s.subarray(0, HANDSHAKE_BYTES + 64))],
    serverHandshakes: [serverReply(false), serverReply(true)],
    messages,
    amf0: [
      ...amfMessages.map((m) => m.body),
      encodeAmf0('onMetaData', new EcmaArray({ width: 1920, height: 1080, framerate: 25, encoder: 'x' })),
      encodeAmf0('_result', 1, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, { level: 'status', nested: [1, 'a', null, undefined, new Date(0)] }),
      Buffer.concat([Buffer.from([0x11]), encodeAmf3({ a: 1, b: ['x', 'x', { c: Buffer.from([1, 2]) }] })]),
    ],
    amf3: [
      encodeAmf3('connect', 1, { app: 'live', tcUrl: 'rtmp://h/live', objectEncoding: 3, fourCcList: ['avc1', 'hvc1'] }),
      encodeAmf3([1, 2.5, -0, 'str', 'str', true, false, null, undefined, new Date(1e12), Buffer.from('bytes')]),
      encodeAmf3({ deep: { deeper: { deepest: [[[]]] } }, k: 'k', kk: 'k' }),
      // inline traits with sealed members, then an object and a traits reference
      Buffer.from([0x09, 0x05, 0x01, 0x0a, 0x23, 0x05, 0x43, 0x31, 0x03, 0x61, 0x04, 0x01, 0x0a, 0x01, 0x04, 0x02, 0x0a, 0x02]),
    ],
    videoBodies: [...tagsOf(9), ...hevcBodies],
    audioBodies: [
      ...tagsOf(8),
      Buffer.concat([Buffer.from([0x90, ...Buffer.from('Opus')]), Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])]),
      Buffer.concat([Buffer.from([0x97, 0x00]), Buffer.from([0x90 | 1, ...Buffer.from('mp4a'), 0x21, 0x10])]),
    ],
    avcc: avcNals.map((_, i) => buildAvcConfig([h264Sps[i]], [h264Pps[i]])),
    hvcc,
    h264Sps,
    hevcSps: [hevc.sps],
    asc: [Buffer.from([0x12, 0x10]), Buffer.from([0x11, 0x88]), Buffer.from([0x2b, 0x92, 0x08, 0x00]), Buffer.from([0xeb, 0x09, 0x88, 0x00]), Buffer.from([0xf8, 0x00, 0x3e, 0x80, 0x10])],
    annexB,
    lengthPrefixed: media.flatMap((m) => m.frames.filter((f) => f.track === 'video').slice(0, 6).map((f) => f.payload)),
    flvFiles,
    mp4Files,
    keyframeIndexes: [
      encodeKeyframes(0, [{ timeMs: 0, offset: 13 }, { timeMs: 2000, offset: 90_000 }, { timeMs: 4000, offset: 180_000 }]),
      encodeKeyframes(1_700_000_000_000, Array.from({ length: 30 }, (_, i) => ({ timeMs: 1_700_000_000_000 + i * 2000, offset: i * 250_000 }))),
    ],
    media: segmentSources,
  };
}
