/**
 * HEVC sequence parameter set parsing (ISO 23008-2 7.3.2.2, profile_tier_level
 * 7.3.3, st_ref_pic_set 7.3.7, VUI E.2.1): picture size, frame rate and the
 * profile/tier/level fields that make up the codec string.
 */
import { ProtocolError } from '../errors.js';
import { BitReader, removeEmulationPrevention } from './bit-reader.js';
import { MAX_PICTURE_DIMENSION, saneFps } from './h264-sps.js';

export interface HevcProfileTierLevel {
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit */
  compatibilityFlags: number;
  /** the 48 bits from general_progressive_source_flag on, as 6 bytes */
  constraintBytes: Buffer;
  levelIdc: number;
}

export interface HevcSps {
  ptl: HevcProfileTierLevel;
  maxSubLayers: number;
  temporalIdNesting: boolean;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
  /** time_scale / num_units_in_tick from VUI timing when present, else null */
  fps: number | null;
  profileName: string;
  codecString: string;
}

const PROFILE_NAMES: Record<number, string> = {
  1: 'Main',
  2: 'Main 10',
  3: 'Main Still Picture',
  4: 'Rext',
  9: 'SCC',
};

function fail(message: string): never {
  throw new ProtocolError('SPS_INVALID', message);
}

/** profile_tier_level(1, maxNumSubLayersMinus1) (7.3.3). */
function parseProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): HevcProfileTierLevel {
  const profileSpace = r.readBits(2);
  const tierFlag = r.readBits(1);
  const profileIdc = r.readBits(5);
  const compatibilityFlags = r.readBits(32);
  const constraintBytes = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) constraintBytes[i] = r.readBits(8);
  const levelIdc = r.readBits(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.readFlag());
    levelPresent.push(r.readFlag());
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skipBits(88); // sub_layer profile space .. inbld/reserved
    if (levelPresent[i]) r.skipBits(8); // sub_layer_level_idc
  }
  return { profileSpace, tierFlag, profileIdc, compatibilityFlags, constraintBytes, levelIdc };
}

/**
 * RFC 6381 / ISO 14496-15 Annex E codec string:
 * hvc1.[A|B|C]<profile>.<compat flags bit-reversed, hex>.<L|H><level>[.<constraint byte>...]
 * Trailing zero constraint bytes are omitted (at least one is kept).
 */
export function hevcCodecString(ptl: HevcProfileTierLevel): string {
  const space = ['', 'A', 'B', 'C'][ptl.profileSpace] ?? '';
  let reversed = 0;
  for (let j = 0; j < 32; j++) {
    if ((ptl.compatibilityFlags >>> (31 - j)) & 1) reversed = (reversed | (1 << j)) >>> 0;
  }
  let last = 5;
  while (last > 0 && ptl.constraintBytes[last] === 0) last--;
  const constraints: string[] = [];
  for (let i = 0; i <= last; i++) constraints.push(ptl.constraintBytes[i].toString(16).toUpperCase());
  return [
    'hvc1',
    `${space}${ptl.profileIdc}`,
    reversed.toString(16).toUpperCase(),
    `${ptl.tierFlag ? 'H' : 'L'}${ptl.levelIdc}`,
    ...constraints,
  ].join('.');
}

export function hevcProfileName(ptl: HevcProfileTierLevel): string {
  let idc = ptl.profileIdc;
  if (idc === 0) {
    // fall back to the first compatibility flag set, as decoders do
    for (let j = 1; j < 32; j++) {
      if ((ptl.compatibilityFlags >>> (31 - j)) & 1) {
        idc = j;
        break;
      }
    }
  }
  return PROFILE_NAMES[idc] ?? `Profile ${idc}`;
}

/** scaling_list_data() (7.3.4): consumed only. */
function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.readFlag()) {
        r.readUEMax(matrixId, 'scaling_list_pred_matrix_id_delta');
      } else {
        const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
        if (sizeId > 1) r.readSE(); // scaling_list_dc_coef_minus8
        for (let i = 0; i < coefNum; i++) r.readSE();
      }
    }
  }
}

/** st_ref_pic_set(idx) (7.3.7); returns NumDeltaPocs of this set. */
function skipShortTermRefPicSet(r: BitReader, idx: number, numDeltaPocs: number[]): number {
  const interPredicted = idx !== 0 && r.readFlag();
  if (interPredicted) {
    // delta_idx_minus1 is only present in slice headers, so RefRpsIdx = idx - 1 here
    r.skipBits(1); // delta_rps_sign
    r.readUEMax(0x7fff, 'abs_delta_rps_minus1');
    let count = 0;
    for (let j = 0; j <= numDeltaPocs[idx - 1]; j++) {
      const used = r.readFlag();
      const useDelta = used ? true : r.readFlag();
      if (used || useDelta) count++;
    }
    return count;
  }
  const negative = r.readUEMax(16, 'num_negative_pics');
  const positive = r.readUEMax(16, 'num_positive_pics');
  for (let i = 0; i < negative + positive; i++) {
    r.readUEMax(0x7fff, 'delta_poc_minus1');
    r.skipBits(1); // used_by_curr_pic_flag
  }
  return negative + positive;
}

/** VUI (E.2.1) up to timing info; returns fps or null. */
function parseVuiFps(r: BitReader): number | null {
  if (r.readFlag() && r.readBits(8) === 255) r.skipBits(32); // aspect ratio, Extended_SAR
  if (r.readFlag()) r.skipBits(1); // overscan
  if (r.readFlag()) {
    r.skipBits(4); // video_format, video_full_range_flag
    if (r.readFlag()) r.skipBits(24); // colour description
  }
  if (r.readFlag()) {
    r.readUE(); // chroma_sample_loc_type_top_field
    r.readUE();
  }
  r.skipBits(3); // neutral_chroma_indication, field_seq, frame_field_info_present
  if (r.readFlag()) {
    for (let i = 0; i < 4; i++) r.readUE(); // default display window
  }
  if (!r.readFlag()) return null; // vui_timing_info_present_flag
  const numUnitsInTick = r.readBits(32);
  const timeScale = r.readBits(32);
  return saneFps(timeScale, numUnitsInTick); // one tick per picture in HEVC (E.3.1)
}

/** Parse an SPS NAL unit (starting with its 2-byte NAL header). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length < 16) fail(`HEVC SPS too short (${nal.length} bytes)`);
  const nalType = (nal[0] >> 1) & 0x3f;
  if (nalType !== 33) fail(`NAL type ${nalType} is not an HEVC SPS`);
  const r = new BitReader(removeEmulationPrevention(nal.subarray(2)));
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  if (maxSubLayersMinus1 > 6) fail(`sps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`);
  const temporalIdNesting = r.readFlag();
  const ptl = parseProfileTierLevel(r, maxSubLayersMinus1);
  r.readUEMax(15, 'sps_seq_parameter_set_id');
  const chromaFormatIdc = r.readUEMax(3, 'chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 && r.readFlag();
  const codedWidth = r.readUE();
  const codedHeight = r.readUE();
  let [left, right, top, bottom] = [0, 0, 0, 0];
  if (r.readFlag()) {
    left = r.readUE();
    right = r.readUE();
    top = r.readUE();
    bottom = r.readUE();
  }
  // conformance window offsets are in chroma sample units (7.4.3.2.1, Table 6-1)
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidthC * (left + right);
  const height = codedHeight - subHeightC * (top + bottom);
  if (codedWidth > MAX_PICTURE_DIMENSION || codedHeight > MAX_PICTURE_DIMENSION || width <= 0 || height <= 0) {
    fail(`HEVC SPS picture size ${codedWidth}x${codedHeight} cropped to ${width}x${height} is out of range`);
  }
  const bitDepthLuma = 8 + r.readUEMax(8, 'bit_depth_luma_minus8');
  const bitDepthChroma = 8 + r.readUEMax(8, 'bit_depth_chroma_minus8');
  const log2MaxPocLsb = 4 + r.readUEMax(12, 'log2_max_pic_order_cnt_lsb_minus4');
  let fps: number | null = null;
  try {
    fps = parseSpsTail(r, maxSubLayersMinus1, log2MaxPocLsb);
  } catch (err) {
    // a damaged tail only costs the frame rate; the picture size is already known
    if (!(err instanceof ProtocolError)) throw err;
  }
  return {
    ptl,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    fps,
    profileName: hevcProfileName(ptl),
    codecString: hevcCodecString(ptl),
  };
}

/** From sps_sub_layer_ordering_info_present_flag to the VUI timing. */
function parseSpsTail(r: BitReader, maxSubLayersMinus1: number, log2MaxPocLsb: number): number | null {
  const orderingInfoAll = r.readFlag();
  for (let i = orderingInfoAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.readUE(); // sps_max_dec_pic_buffering_minus1
    r.readUE(); // sps_max_num_reorder_pics
    r.readUE(); // sps_max_latency_increase_plus1
  }
  for (let i = 0; i < 6; i++) r.readUE(); // coding/transform block sizes, hierarchy depths
  if (r.readFlag() && r.readFlag()) skipScalingListData(r); // scaling_list_enabled, sps_scaling_list_data_present
  r.skipBits(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.readFlag()) {
    // pcm_enabled_flag
    r.skipBits(8); // pcm sample bit depths
    r.readUE();
    r.readUE();
    r.skipBits(1); // pcm_loop_filter_disabled_flag
  }
  const numShortTermSets = r.readUEMax(64, 'num_short_term_ref_pic_sets');
  const numDeltaPocs: number[] = [];
  for (let i = 0; i < numShortTermSets; i++) numDeltaPocs.push(skipShortTermRefPicSet(r, i, numDeltaPocs));
  if (r.readFlag()) {
    // long_term_ref_pics_present_flag
    const numLongTerm = r.readUEMax(32, 'num_long_term_ref_pics_sps');
    for (let i = 0; i < numLongTerm; i++) r.skipBits(log2MaxPocLsb + 1);
  }
  r.skipBits(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (!r.readFlag()) return null; // vui_parameters_present_flag
  return parseVuiFps(r);
}
