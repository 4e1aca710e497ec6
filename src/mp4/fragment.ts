/**
 * One movie fragment: moof (mfhd + one traf per track) and the mdat holding
 * the samples' bytes, track after track (ISO 14496-12 8.8.4-8.8.8, 8.8.12).
 * Payloads are referenced, not copied: the result is a list of Buffers for
 * writev.
 */
import { box, boxHeader, boxSize, fullBox, i32, toBuffer, u32, u64, type Box } from './boxes.js';

/** tfhd flags (8.8.7.1) */
export const TFHD_BASE_DATA_OFFSET = 0x000001;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
export const TFHD_DEFAULT_DURATION = 0x000008;
export const TFHD_DEFAULT_SIZE = 0x000010;
export const TFHD_DEFAULT_FLAGS = 0x000020;
/** data offsets count from the first byte of the moof */
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

/** trun flags (8.8.8.1) */
export const TRUN_DATA_OFFSET = 0x000001;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
export const TRUN_SAMPLE_DURATION = 0x000100;
export const TRUN_SAMPLE_SIZE = 0x000200;
export const TRUN_SAMPLE_FLAGS = 0x000400;
export const TRUN_SAMPLE_CTS = 0x000800;

/**
 * Sample flags (8.8.3.1), after 4 reserved bits: is_leading(2) depends_on(2)
 * is_depended_on(2) has_redundancy(2) padding(3) is_non_sync(1)
 * degradation_priority(16). A sync sample depends on no other (depends_on 2);
 * other video samples do (1) and are non-sync.
 */
export const SAMPLE_FLAGS_SYNC = 0x02000000;
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000;
export const SAMPLE_IS_NON_SYNC = 0x00010000;

export interface FragmentSample {
  /** in the track's timescale */
  duration: number;
  size: number;
  flags: number;
  /** signed composition offset (pts - dts) in the track's timescale */
  compositionOffset: number;
}

export interface TrafInput {
  trackId: number;
  /** tfdt: decode time of the first sample, in the track's timescale */
  baseDecodeTime: number;
  samples: FragmentSample[];
  /** the samples' bytes in sample order; their lengths must add up to the samples' sizes */
  payloads: Buffer[];
  /** write composition offsets (video); audio has none */
  compositionOffsets: boolean;
}

export function mfhd(sequence: number): Box {
  return fullBox('mfhd', 0, 0, u32(sequence));
}

export function tfhd(trackId: number): Box {
  return fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, u32(trackId));
}

/** tfdt version 1 (8.8.12): 64-bit, since 32 bits wrap after 13 h at 90 kHz (MEDIA-NOTES 3). */
export function tfdt(baseMediaDecodeTime: number): Box {
  return fullBox('tfdt', 1, 0, u64(baseMediaDecodeTime));
}

/**
 * trun (8.8.8) with data offset and per-sample duration, size and flags; for
 * video also signed composition offsets (version 1), so B-frames need no edit
 * list (MEDIA-NOTES "FLV to fragmented MP4" 5). `dataOffset` is a 4-byte
 * field filled in once the moof's size is known.
 */
export function trun(samples: FragmentSample[], compositionOffsets: boolean, dataOffset: Buffer): Box {
  let flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS;
  if (compositionOffsets) flags |= TRUN_SAMPLE_CTS;
  const perSample = compositionOffsets ? 16 : 12;
  const table = Buffer.alloc(samples.length * perSample);
  let o = 0;
  for (const s of samples) {
    table.writeUInt32BE(s.duration, o);
    table.writeUInt32BE(s.size, o + 4);
    table.writeUInt32BE(s.flags >>> 0, o + 8);
    if (compositionOffsets) table.writeInt32BE(s.compositionOffset, o + 12);
    o += perSample;
  }
  return fullBox('trun', compositionOffsets ? 1 : 0, flags, u32(samples.length), dataOffset, table);
}

export interface FragmentBytes {
  /** moof, mdat header, then the payloads themselves */
  parts: Buffer[];
  byteLength: number;
}

/** Build moof + mdat. Tracks without samples are left out; at least one sample is required. */
export function buildFragment(sequence: number, trafs: TrafInput[]): FragmentBytes {
  const used = trafs.filter((t) => t.samples.length > 0);
  if (used.length === 0) throw new RangeError('a fragment needs at least one sample');
  const sizes = used.map((t) => t.samples.reduce((n, s) => n + s.size, 0));
  used.forEach((t, i) => {
    const given = t.payloads.reduce((n, p) => n + p.length, 0);
    if (given !== sizes[i]) throw new RangeError(`track ${t.trackId}: sample sizes add up to ${sizes[i]}, payloads to ${given}`);
  });
  const offsets = used.map(() => Buffer.alloc(4));
  const moof = box(
    'moof',
    mfhd(sequence),
    ...used.map((t, i) => box('traf', tfhd(t.trackId), tfdt(t.baseDecodeTime), trun(t.samples, t.compositionOffsets, offsets[i]))),
  );
  const moofSize = boxSize(moof);
  const mdatBody = sizes.reduce((a, b) => a + b, 0);
  const mdatHeader = boxHeader('mdat', mdatBody);
  // data_offset counts from the first byte of the moof (default-base-is-moof)
  let dataOffset = moofSize + mdatHeader.length;
  used.forEach((_, i) => {
    i32(dataOffset).copy(offsets[i]);
    dataOffset += sizes[i];
  });
  const parts = [toBuffer(moof), mdatHeader];
  for (const t of used) parts.push(...t.payloads);
  return { parts, byteLength: moofSize + mdatHeader.length + mdatBody };
}
