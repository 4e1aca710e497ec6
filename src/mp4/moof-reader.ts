/**
 * Reading a movie fragment's moof (ISO 14496-12 8.8.4-8.8.8, 8.8.12): per
 * track the decode time and every sample's duration, size, flags,
 * composition offset and absolute file offset, with the defaulting rules of
 * tfhd and trex. Any writer's fragments, not only ours.
 */
import { BoxFields, childBoxes, fail, readBoxHeader, requireChild, type BoxHeader } from './box-reader.js';
import type { InitTrack } from './init-reader.js';
import {
  SAMPLE_IS_NON_SYNC, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_BASE_IS_MOOF, TFHD_DEFAULT_DURATION, TFHD_DEFAULT_FLAGS,
  TFHD_DEFAULT_SIZE, TFHD_SAMPLE_DESCRIPTION_INDEX, TRUN_DATA_OFFSET, TRUN_FIRST_SAMPLE_FLAGS, TRUN_SAMPLE_CTS,
  TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE,
} from './fragment.js';

export interface MoofSample {
  /** track timescale units */
  duration: number;
  size: number;
  flags: number;
  compositionOffset: number;
  /** absolute file offset of the sample's bytes */
  offset: number;
}

export interface MoofTraf {
  track: InitTrack;
  /** tfdt, track timescale */
  baseDecodeTime: number;
  samples: MoofSample[];
}

export interface ParsedMoof {
  sequence: number;
  trafs: MoofTraf[];
  /** smallest and largest-end absolute offsets of sample bytes (equal when there are none) */
  dataStart: number;
  dataEnd: number;
}

export function isSync(flags: number): boolean {
  return (flags & SAMPLE_IS_NON_SYNC) === 0;
}

interface Tfhd {
  trackId: number;
  flags: number;
  baseDataOffset?: number;
  duration?: number;
  size?: number;
  sampleFlags?: number;
}

function readTfhd(buf: Buffer, box: BoxHeader): Tfhd {
  const f = new BoxFields(buf, box);
  const { flags } = f.versionAndFlags();
  const t: Tfhd = { trackId: f.u32(), flags };
  if (flags & TFHD_BASE_DATA_OFFSET) t.baseDataOffset = f.u64();
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) f.skip(4);
  if (flags & TFHD_DEFAULT_DURATION) t.duration = f.u32();
  if (flags & TFHD_DEFAULT_SIZE) t.size = f.u32();
  if (flags & TFHD_DEFAULT_FLAGS) t.sampleFlags = f.u32();
  return t;
}

/**
 * Samples one moof may describe. Ours hold about a second; a trun without
 * per-sample fields takes no bytes per sample, so its count alone (up to 2^32)
 * must be capped before the loop.
 */
export const MAX_FRAGMENT_SAMPLES = 1 << 17;

function readTfdt(buf: Buffer, box: BoxHeader): number {
  const f = new BoxFields(buf, box);
  const { version } = f.versionAndFlags();
  return version === 1 ? f.u64() : f.u32();
}

/** One trun's samples (at most `room`); `pos` is where its data starts when it has no data_offset. Returns the data end. */
function readTrun(buf: Buffer, box: BoxHeader, tfhd: Tfhd, track: InitTrack, base: number, pos: number, out: MoofSample[], room: number): number {
  const f = new BoxFields(buf, box);
  const { version, flags } = f.versionAndFlags();
  const count = f.u32();
  if (flags & TRUN_DATA_OFFSET) pos = base + f.i32();
  const firstFlags = flags & TRUN_FIRST_SAMPLE_FLAGS ? f.u32() : undefined;
  const fieldBits = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTS];
  const perSample = 4 * fieldBits.filter((b) => flags & b).length;
  // check the declared count against the bytes present before reading (or allocating) anything
  if (count * perSample > f.remaining) fail('MP4_BOX_TRUNCATED', `trun at ${box.start} declares ${count} samples it has no room for`);
  if (count > room) fail('MP4_TOO_MANY_SAMPLES', `trun at ${box.start} declares ${count} samples, past ${MAX_FRAGMENT_SAMPLES} in one fragment`);
  const d = track.defaults;
  for (let i = 0; i < count; i++) {
    const duration = flags & TRUN_SAMPLE_DURATION ? f.u32() : (tfhd.duration ?? d.duration);
    const size = flags & TRUN_SAMPLE_SIZE ? f.u32() : (tfhd.size ?? d.size);
    let sampleFlags = flags & TRUN_SAMPLE_FLAGS ? f.u32() : (tfhd.sampleFlags ?? d.flags);
    if (i === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
    // version 0 offsets are unsigned, version 1 signed (8.8.8.2)
    const cts = flags & TRUN_SAMPLE_CTS ? (version === 0 ? f.u32() : f.i32()) : 0;
    if (pos < 0) fail('MP4_BAD_DATA_OFFSET', `trun at ${box.start} points before the file start`);
    out.push({ duration, size, flags: sampleFlags, compositionOffset: cts, offset: pos });
    pos += size;
  }
  return pos;
}

/**
 * Parse the complete moof box `moof` inside buf; buf[0] is at absolute file
 * offset `bufOffset` (sample offsets come out absolute).
 */
export function parseMoof(buf: Buffer, moof: BoxHeader, bufOffset: number, tracks: InitTrack[]): ParsedMoof {
  const moofStart = bufOffset + moof.start;
  const mfhd = new BoxFields(buf, requireChild(buf, moof, 'mfhd', 1));
  mfhd.versionAndFlags();
  const sequence = mfhd.u32();
  const trafs: MoofTraf[] = [];
  let dataStart = Infinity;
  let dataEnd = -Infinity;
  let previousEnd = moofStart;
  let sampleCount = 0;
  for (const traf of childBoxes(buf, moof, 1).filter((b) => b.type === 'traf')) {
    const children = childBoxes(buf, traf, 2);
    const tfhdBox = children.find((b) => b.type === 'tfhd');
    const tfdtBox = children.find((b) => b.type === 'tfdt');
    if (!tfhdBox) fail('MP4_MISSING_BOX', `traf at ${traf.start} has no tfhd`);
    if (!tfdtBox) fail('MP4_MISSING_BOX', `traf at ${traf.start} has no tfdt`);
    const tfhd = readTfhd(buf, tfhdBox);
    const track = tracks.find((t) => t.id === tfhd.trackId);
    if (!track) fail('MP4_UNKNOWN_TRACK', `traf at ${traf.start} is for track ${tfhd.trackId}, not in the init segment`);
    // 8.8.7.1: explicit base, else the moof (default-base-is-moof or first traf), else the previous traf's data end
    const base = tfhd.baseDataOffset ?? (tfhd.flags & TFHD_DEFAULT_BASE_IS_MOOF || trafs.length === 0 ? moofStart : previousEnd);
    const samples: MoofSample[] = [];
    let pos = base;
    for (const trun of children.filter((b) => b.type === 'trun')) {
      pos = readTrun(buf, trun, tfhd, track, base, pos, samples, MAX_FRAGMENT_SAMPLES - sampleCount - samples.length);
    }
    sampleCount += samples.length;
    for (const s of samples) {
      if (s.size === 0) continue;
      dataStart = Math.min(dataStart, s.offset);
      dataEnd = Math.max(dataEnd, s.offset + s.size);
    }
    previousEnd = pos;
    trafs.push({ track, baseDecodeTime: readTfdt(buf, tfdtBox), samples });
  }
  if (dataStart === Infinity) dataStart = dataEnd = bufOffset + moof.end;
  return { sequence, trafs, dataStart, dataEnd };
}

export interface SampleRef {
  /** ms, rounded from the track timescale */
  dts: number;
  pts: number;
  duration: number;
  size: number;
  /** absolute file offset of the sample's bytes */
  offset: number;
  keyframe: boolean;
}

export interface TrackSamples {
  trackId: number;
  handler: 'vide' | 'soun';
  samples: SampleRef[];
}

/**
 * The samples of one fragment as byte ranges of its file, for rebuilding
 * frames (export). `moof` holds the moof box from its first byte (more bytes
 * after it are ignored); `mdatOffset` is the absolute offset of the mdat that
 * follows it, so the moof starts at mdatOffset - moof size. With
 * `mdatByteLength`, samples must lie inside that mdat.
 */
export function readFragmentSamples(moof: Buffer, mdatOffset: number, tracks: InitTrack[], mdatByteLength?: number): TrackSamples[] {
  const h = readBoxHeader(moof, 0, moof.length);
  if (!h || h.type !== 'moof' || h.end > moof.length) fail('MP4_NOT_MOOF', 'buffer does not start with a complete moof box');
  const moofStart = mdatOffset - (h.end - h.start);
  if (moofStart < 0) fail('MP4_BAD_DATA_OFFSET', `mdat offset ${mdatOffset} leaves no room for a moof of ${h.end} bytes`);
  const parsed = parseMoof(moof, h, moofStart, tracks);
  if (mdatByteLength !== undefined && parsed.dataEnd > parsed.dataStart) {
    if (parsed.dataStart < mdatOffset + 8 || parsed.dataEnd > mdatOffset + mdatByteLength) {
      fail('MP4_TRUN_OUTSIDE_MDAT', `samples [${parsed.dataStart}, ${parsed.dataEnd}) lie outside the mdat at ${mdatOffset}`);
    }
  }
  return parsed.trafs.map(({ track, baseDecodeTime, samples }) => {
    const ms = (ticks: number) => Math.round((ticks * 1000) / track.timescale);
    let t = baseDecodeTime;
    return {
      trackId: track.id,
      handler: track.handler,
      samples: samples.map((s) => {
        const ref = { dts: ms(t), pts: ms(t + s.compositionOffset), duration: ms(t + s.duration) - ms(t), size: s.size, offset: s.offset, keyframe: isSync(s.flags) };
        t += s.duration;
        return ref;
      }),
    };
  });
}
