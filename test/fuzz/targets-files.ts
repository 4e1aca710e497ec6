/**
 * Targets for the readers recovery and export use on segment files: the FLV
 * scanner, the fMP4 box / moov / moof readers and fragment scanner, the
 * recovery scans and export readers (over temp files), the keyframe index;
 * and round trips through our own writers (FLV segment writer -> scanner and
 * demuxer, fMP4 segment writer -> scanner and sample reader, keyframe index).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readFlvSegment } from '../../src/export/flv-segment-reader.js';
import { readMp4Segment } from '../../src/export/mp4-segment-reader.js';
import { FlvScanner, scanFlv, type FlvTagInfo } from '../../src/flv/flv-scanner.js';
import { lengthPrefix, splitLengthPrefixed } from '../../src/media/annexb.js';
import type { DemuxOutput } from '../../src/media/flv-demuxer.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { readBoxes, readBoxHeader } from '../../src/mp4/box-reader.js';
import { parseMoov, type InitTrack } from '../../src/mp4/init-reader.js';
import { parseMoof, readFragmentSamples } from '../../src/mp4/moof-reader.js';
import { Mp4FragmentScanner, scanFragments, type ScanResult } from '../../src/mp4/fragment-scanner.js';
import { FlvSegmentWriter } from '../../src/recording/formats/flv-segment.js';
import { Mp4SegmentWriter } from '../../src/recording/formats/mp4-segment.js';
import type { SegmentWriter } from '../../src/recording/formats/segment-writer.js';
import { decodeKeyframes, encodeKeyframes, seekKeyframe, type KeyframeEntry } from '../../src/recording/keyframe-index.js';
import { scanFlvFile } from '../../src/recording/recover-flv.js';
import { scanMp4File } from '../../src/recording/recover-mp4.js';
import { corpus } from './corpus.js';
import { bytesFrom, cut, mp4FieldEdits, pieceSize } from './mutate.js';
import { bounded, boundedAsync, byteTarget, check, same, unmodified, valueTarget, type FuzzTarget } from './target.js';

function tagsInvariants(tags: FlvTagInfo[], validEnd: number, length: number): void {
  check(validEnd <= length, `validEnd ${validEnd} past the end ${length}`);
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    if (i > 0) check(t.offset === tags[i - 1].offset + tags[i - 1].size, `tag ${i} at ${t.offset} does not follow the previous one`);
    check(t.size >= 15 && t.offset + t.size <= validEnd, `tag ${i} [${t.offset}, +${t.size}) outside the valid part ${validEnd}`);
  }
  if (tags.length > 0) check(validEnd === tags[tags.length - 1].offset + tags[tags.length - 1].size, 'validEnd is not the end of the last tag');
}

const flvScanner = byteTarget({
  name: 'flv-scanner',
  what: 'scanFlv / FlvScanner: fixture and recorder-written FLV files, mutated; whole vs split vs resumed',
  weight: 2,
  arbitrary: () => bytesFrom(corpus().flvFiles, { maxRandom: 512 }),
  run(file) {
    const whole = unmodified(file, () => scanFlv(file));
    tagsInvariants(whole.tags, whole.validEnd, file.length);
    const s = new FlvScanner();
    const tags: FlvTagInfo[] = [];
    for (const p of cut(file, pieceSize(file))) for (const tag of s.push(p)) tags.push(tag);
    same({ tags, validEnd: s.validEnd, error: s.error }, { tags: whole.tags, validEnd: whole.validEnd, error: whole.error?.startsWith('torn') || whole.error?.startsWith('incomplete') ? undefined : whole.error }, 'split scan differs from the whole scan');
    if (whole.header && file.length > 13 && file.readUInt32BE(5) === 9) {
      // resuming after the header (as recovery of a known file does) finds the same tags
      const r = new FlvScanner({ startOffset: 13 });
      same(r.push(file.subarray(13)), whole.tags, 'resumed scan differs');
    }
  },
});

/** The part of the whole-file scan result that must not depend on how bytes arrive. */
function scanSummary(r: ScanResult) {
  return { fragments: r.fragments, validEnd: r.validEnd, error: r.error, tracks: r.init?.tracks ?? null };
}

function initTracks(): InitTrack[][] {
  return corpus().mp4Files.map((f) => scanFragments(f).init?.tracks ?? []).filter((t) => t.length > 0);
}

const mp4Scanner = byteTarget({
  name: 'mp4-scanner',
  what: 'scanFragments / Mp4FragmentScanner + readFragmentSamples: recorder-written fMP4 files, mutated; whole vs split',
  weight: 2,
  arbitrary: () => mp4Inputs(corpus().mp4Files),
  run(file) {
    const whole = unmodified(file, () => scanFragments(file));
    check(whole.validEnd <= file.length, `validEnd ${whole.validEnd} past the end`);
    let at = whole.init?.end ?? 0;
    for (const f of whole.fragments) {
      check(f.offset >= at && f.byteLength > 0, `fragment at ${f.offset} overlaps what came before (${at})`);
      at = f.offset + f.byteLength;
      const moof = file.subarray(f.offset, at);
      const h = readBoxHeader(moof, 0)!;
      const mdatOffset = f.offset + (h.end - h.start);
      const samples = bounded(() => readFragmentSamples(moof, mdatOffset, whole.init!.tracks, at - mdatOffset));
      check(samples.ok, `a fragment the scanner accepted does not read back: ${samples.ok ? '' : samples.code}`);
      for (const t of samples.value) for (const s of t.samples) check(s.size === 0 || (s.offset >= mdatOffset + 8 && s.offset + s.size <= at), `sample [${s.offset}, +${s.size}) outside its mdat`);
    }
    if (whole.fragments.length > 0) check(whole.validEnd === at, 'validEnd is not the end of the last fragment');
    const s = new Mp4FragmentScanner();
    for (const p of cut(file, pieceSize(file))) s.push(p);
    s.finish();
    same(scanSummary(s.result), scanSummary(whole), 'split scan differs from the whole scan');
    // plain box walking over the same bytes
    const boxes = bounded(() => readBoxes(file));
    if (boxes.ok) for (const b of boxes.value.boxes) check(b.start < b.end && b.end <= file.length, 'box outside the buffer');
  },
});

/** Mutated fMP4 files: byte edits, or field edits of chosen boxes. */
const mp4Inputs = (seeds: Buffer[]) => fc.oneof(bytesFrom(seeds, { maxRandom: 512 }), mp4FieldEdits(seeds));

/** moof and moov boxes of the generated files: small inputs, so mutations hit their fields. */
function boxesOf(type: string): Buffer[] {
  return corpus().mp4Files.flatMap((f) => readBoxes(f).boxes.filter((b) => b.type === type).slice(0, 3).map((b) => f.subarray(b.start, b.end)));
}

const mp4Moof = byteTarget({
  name: 'mp4-moof',
  what: 'parseMoof / readFragmentSamples on single moof boxes (tfhd/tfdt/trun fields), mutated',
  weight: 2,
  arbitrary: () => mp4Inputs(boxesOf('moof')),
  run(moof) {
    const trackSets = initTracks();
    const tracks = trackSets[moof.length % trackSets.length];
    unmodified(moof, () => {
      const h = bounded(() => readBoxHeader(moof, 0));
      if (h.ok && h.value && h.value.end <= moof.length) {
        const p = bounded(() => parseMoof(moof, h.value!, 0, tracks));
        if (p.ok) {
          let n = 0;
          for (const t of p.value.trafs) {
            n += t.samples.length;
            for (const s of t.samples) check(s.offset >= 0 && Number.isSafeInteger(s.offset + s.size), `sample offset ${s.offset}`);
          }
          check(n <= 1 << 17, `${n} samples from a ${moof.length}-byte moof`);
        }
      }
      bounded(() => readFragmentSamples(moof, moof.length, tracks, 1 << 20));
    });
  },
});

const mp4Moov = byteTarget({
  name: 'mp4-moov',
  what: 'parseMoov on the moov of recorder-written files (H.264/HEVC/AAC/G.711/MP3 tracks), mutated',
  arbitrary: () => mp4Inputs(boxesOf('moov')),
  run(moov) {
    unmodified(moov, () => {
      const h = bounded(() => readBoxHeader(moov, 0));
      if (!h.ok || !h.value || h.value.end > moov.length) return;
      const tracks = bounded(() => parseMoov(moov, h.value!));
      if (tracks.ok) for (const t of tracks.value) check(t.timescale > 0 && (t.handler === 'vide' || t.handler === 'soun'), `track ${JSON.stringify(t)}`);
    });
  },
});

// ---- recovery and export readers, over a temp file --------------------------

let tmp: string | null = null;
function tempFile(bytes: Buffer): string {
  if (!tmp) {
    tmp = mkdtempSync(join(tmpdir(), 'nvr-fuzz-'));
    const dir = tmp;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(tmp, 'segment');
  writeFileSync(path, bytes);
  return path;
}

const recoverFlv = byteTarget({
  name: 'recover-flv',
  what: 'scanFlvFile (start-up recovery) on mutated FLV segments',
  async: true,
  weight: 0.3,
  arbitrary: () => bytesFrom(corpus().flvFiles, { maxRandom: 512 }),
  async run(file) {
    const r = await boundedAsync(() => scanFlvFile(tempFile(file)));
    if (!r.ok) return;
    const v = r.value;
    check(v.fileSize === file.length && v.validEnd <= v.fileSize && v.frames >= 0 && Number.isFinite(v.durationMs), `recovered ${JSON.stringify(v)}`);
    for (const s of v.seek) check(s.offset < v.validEnd && s.relMs >= 0, `seek point ${JSON.stringify(s)} outside the valid part`);
  },
});

const recoverMp4 = byteTarget({
  name: 'recover-mp4',
  what: 'scanMp4File (start-up recovery) on mutated fMP4 segments',
  async: true,
  weight: 0.3,
  arbitrary: () => mp4Inputs(corpus().mp4Files),
  async run(file) {
    const r = await boundedAsync(() => scanMp4File(tempFile(file)));
    if (!r.ok) return;
    const v = r.value;
    check(v.fileSize === file.length && v.validEnd <= v.fileSize && v.frames >= 0 && Number.isFinite(v.durationMs), `recovered ${JSON.stringify(v).slice(0, 200)}`);
    for (const s of v.seek) check(s.offset < v.validEnd, `seek point ${JSON.stringify(s)} outside the valid part`);
  },
});

async function drain(gen: AsyncGenerator<DemuxOutput>, fileLength: number): Promise<number> {
  let n = 0;
  for await (const o of gen) {
    if (o.type === 'frame') check(o.frame.payload.length <= 4 * fileLength + 4, 'exported frame larger than the file');
    if (++n > 4 * fileLength + 16) throw new Error('export reader yields more outputs than the file has bytes');
  }
  return n;
}

/** A start offset as the keyframe index could give it (possibly stale): 0, or somewhere inside. */
const fromOffset = (file: Buffer) => (file.length % 3 === 0 ? 0 : (file.length * 7919) % (file.length + 1));

const exportFlv = byteTarget({
  name: 'export-flv',
  what: 'readFlvSegment (export) on mutated FLV segments, from 0 or an arbitrary offset',
  async: true,
  weight: 0.3,
  arbitrary: () => bytesFrom(corpus().flvFiles, { maxRandom: 512 }),
  async run(file) {
    const path = tempFile(file);
    await boundedAsync(() => drain(readFlvSegment(path, fromOffset(file), file.length), file.length));
  },
});

const exportMp4 = byteTarget({
  name: 'export-mp4',
  what: 'readMp4Segment (export) on mutated fMP4 segments, from 0 or an arbitrary offset',
  async: true,
  weight: 0.3,
  arbitrary: () => mp4Inputs(corpus().mp4Files),
  async run(file) {
    const path = tempFile(file);
    await boundedAsync(() => drain(readMp4Segment(path, fromOffset(file), file.length), file.length));
  },
});

// ---- keyframe index ----------------------------------------------------------

const keyframeIndex = byteTarget({
  name: 'keyframe-index',
  what: 'decodeKeyframes on stored index BLOBs, mutated, and on random bytes',
  arbitrary: () => bytesFrom(corpus().keyframeIndexes, { maxRandom: 64 }),
  run(blob) {
    const r = unmodified(blob, () => bounded(() => decodeKeyframes(1_700_000_000_000, blob)));
    if (!r.ok) return;
    check(r.value.length <= blob.length / 2, `${r.value.length} entries from ${blob.length} bytes`);
    for (let i = 1; i < r.value.length; i++) check(r.value[i].timeMs >= r.value[i - 1].timeMs && r.value[i].offset >= r.value[i - 1].offset, 'entries go backwards');
  },
});

const keyframeRoundTrip = valueTarget<{ start: number; steps: { dt: number; db: number }[]; probe: number }>({
  name: 'keyframe-index-roundtrip',
  what: 'encodeKeyframes -> decodeKeyframes (steps up to 2^40), seekKeyframe finds the entry at or before',
  arbitrary: () =>
    fc.record({
      start: fc.oneof(fc.nat(1_000_000), fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 })),
      steps: fc.array(fc.record({ dt: fc.oneof(fc.nat(5000), fc.nat(2 ** 40)), db: fc.oneof(fc.nat(1 << 20), fc.nat(2 ** 40)) }), { maxLength: 40 }),
      probe: fc.integer({ min: -10_000, max: 2 ** 42 }),
    }),
  run({ start, steps, probe }) {
    const entries: KeyframeEntry[] = [];
    let t = start;
    let o = 0;
    for (const s of steps) entries.push({ timeMs: (t += s.dt), offset: (o += s.db) });
    same(decodeKeyframes(start, encodeKeyframes(start, entries)), entries, 'keyframe index round trip differs');
    const at = start + probe;
    const found = seekKeyframe(entries, at);
    if (entries.length === 0) return check(found === undefined, 'found an entry in an empty index');
    const expected = [...entries].reverse().find((e) => e.timeMs <= at) ?? entries[0];
    check(found !== undefined && found.timeMs === expected.timeMs, `seek(${at}) gave ${found?.timeMs}, expected ${expected.timeMs}`);
  },
});

// ---- writer -> reader round trips ---------------------------------------------

interface FrameSpec {
  video: boolean;
  gap: number;
  cts: number;
  key: boolean;
  nals: Uint8Array[];
}

interface MediaCase {
  source: number;
  frames: FrameSpec[];
}

const mediaCase = (): fc.Arbitrary<MediaCase> =>
  fc.record({
    source: fc.nat(corpus().media.length - 1),
    frames: fc.array(
      fc.record({
        video: fc.boolean(),
        gap: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(0)),
        cts: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 })),
        key: fc.boolean(),
        // NALs of 2+ bytes: a 1-byte NAL's length field 00 00 00 01 reads as an Annex-B start code
        nals: fc.array(fc.uint8Array({ minLength: 2, maxLength: 300 }), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  });

/** The frames a case describes, for the source's tracks, in dts order (first video frame a keyframe). */
function framesOf(c: MediaCase): { configs: CodecConfig[]; frames: MediaFrame[] } {
  const configs = corpus().media[c.source].configs;
  const video = configs.find((x) => x.track === 'video');
  const audio = configs.find((x) => x.track === 'audio');
  const clock = { video: 1000, audio: 1000 };
  const frames: MediaFrame[] = [];
  let sawVideo = false;
  for (const f of c.frames) {
    const config = f.video && video ? video : audio ?? video!;
    const track = config.track;
    // video times stay strictly increasing (the fragmenter clamps equal dts)
    clock[track] += track === 'video' ? Math.max(1, f.gap) : f.gap;
    const dts = clock[track];
    if (config.track === 'video') {
      frames.push({ track: 'video', codec: config.codec, dts, pts: dts + f.cts, keyframe: f.key || !sawVideo, payload: lengthPrefix(f.nals) });
      sawVideo = true;
    } else {
      frames.push({ track: 'audio', codec: config.codec, dts, pts: dts, keyframe: true, payload: Buffer.from(f.nals[0]) });
    }
  }
  frames.sort((a, b) => a.dts - b.dts);
  return { configs, frames };
}

function write(writer: SegmentWriter, frames: MediaFrame[], seek: { relMs: number; offset: number }[] = []): Buffer {
  const parts = [...writer.begin()];
  const t0 = frames[0].dts;
  for (const f of frames) {
    const out = writer.frame(f, f.dts - t0);
    parts.push(...out.parts);
    seek.push(...out.seekPoints);
  }
  const end = writer.end();
  parts.push(...end.parts);
  seek.push(...end.seekPoints);
  return Buffer.concat(parts);
}

/** What an FLV segment holds of the frames: all but Opus, which the FLV writer leaves out (flv-muxer.ts). */
const inFlv = (frames: MediaFrame[]) => frames.filter((f) => f.codec !== 'opus');

const tracksOf = (configs: CodecConfig[]) => ({ video: configs.find((c) => c.track === 'video') ?? null, audio: configs.find((c) => c.track === 'audio') ?? null });

const flvRoundTrip = valueTarget<MediaCase>({
  name: 'flv-roundtrip',
  what: 'FLV segment writer -> scanFlv and FlvDemuxer: every frame back with its bytes, times and keyframe flag',
  arbitrary: mediaCase,
  run(c) {
    const { configs, frames: all } = framesOf(c);
    const file = write(new FlvSegmentWriter(tracksOf(configs)), all);
    const frames = inFlv(all);
    const scan = scanFlv(file);
    check(scan.error === undefined && scan.validEnd === file.length, `scanner: ${scan.error} at ${scan.validEnd} of ${file.length}`);
    const media = scan.tags.filter((t) => t.type !== 'script' && !t.isSequenceHeader);
    same(media.map((t) => [t.type, t.timestamp, t.type === 'video' ? t.keyframe : false]), frames.map((f) => [f.track, f.dts - all[0].dts, f.track === 'video' ? f.keyframe : false]), 'scanned tags differ from the frames written');
    const d = new FlvDemuxer();
    const back: MediaFrame[] = [];
    for (const t of scan.tags) {
      if (t.type === 'script') continue;
      const body = file.subarray(t.offset + 11, t.offset + t.size - 4);
      for (const o of d.push(t.type, t.timestamp, body)) if (o.type === 'frame') back.push(o.frame);
    }
    same(back.map((f) => [f.track, f.dts, f.pts, f.keyframe, f.payload.toString('hex')]),
      frames.map((f) => [f.track, f.dts - all[0].dts, f.pts - all[0].dts, f.keyframe, f.payload.toString('hex')]), 'demuxed frames differ from the frames written');
  },
});

const mp4RoundTrip = valueTarget<MediaCase>({
  name: 'mp4-roundtrip',
  what: 'fMP4 segment writer -> scanFragments and readFragmentSamples: every sample back, in order, with its bytes',
  arbitrary: mediaCase,
  run(c) {
    const { configs, frames } = framesOf(c);
    const file = write(new Mp4SegmentWriter(tracksOf(configs)), frames);
    const scan = scanFragments(file);
    check(scan.error === undefined && scan.validEnd === file.length, `scanner: ${scan.error} at ${scan.validEnd} of ${file.length}`);
    const got: Record<string, string[]> = { vide: [], soun: [] };
    const keys: boolean[] = [];
    for (const f of scan.fragments) {
      const moof = file.subarray(f.offset, f.offset + f.byteLength);
      const h = readBoxHeader(moof, 0)!;
      const mdatOffset = f.offset + h.end;
      for (const t of readFragmentSamples(moof, mdatOffset, scan.init!.tracks, f.offset + f.byteLength - mdatOffset)) {
        for (const s of t.samples) {
          got[t.handler].push(file.subarray(s.offset, s.offset + s.size).toString('hex'));
          if (t.handler === 'vide') keys.push(s.keyframe);
        }
      }
    }
    const of = (track: string) => frames.filter((f) => f.track === track);
    same(got.vide, of('video').map((f) => f.payload.toString('hex')), 'video samples differ from the frames written');
    same(got.soun, of('audio').map((f) => f.payload.toString('hex')), 'audio samples differ from the frames written');
    same(keys, of('video').map((f) => f.keyframe), 'sync flags differ from the keyframes written');
    for (const p of of('video').map((f) => f.payload)) check(splitLengthPrefixed(p, 4).length > 0, 'video payload');
  },
});

const exportRoundTrip = valueTarget<MediaCase>({
  name: 'export-roundtrip',
  what: 'FLV and fMP4 segment writers -> files -> export readers (every frame back, per track, in order) and recovery scans (frames, seek points)',
  async: true,
  weight: 0.3,
  arbitrary: mediaCase,
  async run(c) {
    const { configs, frames } = framesOf(c);
    const of = (list: MediaFrame[], track: string) => list.filter((f) => f.track === track).map((f) => [f.payload.toString('hex'), f.keyframe]);
    const hasVideo = configs.some((x) => x.track === 'video');
    for (const [format, writer, reader, recover] of [
      ['flv', new FlvSegmentWriter(tracksOf(configs)), readFlvSegment, scanFlvFile],
      ['mp4', new Mp4SegmentWriter(tracksOf(configs)), readMp4Segment, scanMp4File],
    ] as const) {
      const seek: { relMs: number; offset: number }[] = [];
      const file = write(writer, frames, seek);
      const path = tempFile(file);
      const back: MediaFrame[] = [];
      for await (const o of reader(path, 0, file.length)) if (o.type === 'frame') back.push(o.frame);
      const written = format === 'flv' ? inFlv(frames) : frames;
      for (const track of ['video', 'audio']) same(of(back, track), of(written, track), `${format} export: ${track} frames differ from those written`);
      // start-up recovery rebuilds the index row from the file alone: the same frames and seek points as the recorder wrote
      const r = await recover(path);
      same([r.validEnd, r.frames], [file.length, written.length], `${format} recovery: validEnd and frame count`);
      // (a segment with a video track but no video frame: the recorder gives no seek point, recovery one per second of audio)
      const videoFrames = written.some((f) => f.track === 'video');
      if (videoFrames || (format === 'flv' && !hasVideo)) same(r.seek.map((x) => x.offset), seek.map((x) => x.offset), `${format} recovery: seek points differ from the recorder's`);
    }
  },
});

export const fileTargets: FuzzTarget<never>[] = [
  flvScanner, mp4Scanner, mp4Moof, mp4Moov, recoverFlv, recoverMp4, exportFlv, exportMp4, keyframeIndex, keyframeRoundTrip, flvRoundTrip, mp4RoundTrip, exportRoundTrip,
] as FuzzTarget<never>[];
