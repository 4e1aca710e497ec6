/**
 * H.264 sequence parameter set parsing (ISO 14496-10 7.3.2.1.1, VUI in E.1.1):
 * just enough to know picture size, frame rate and profile/level.
 */
import { ProtocolError } from '../errors.js';
import { BitReader, removeEmulationPrevention } from './bit-reader.js';

/** Largest width/height we accept; anything bigger is a damaged or hostile SPS. */
export const MAX_PICTURE_DIMENSION = 16384;

export interface H264Sps {
  profileIdc: number;
  /** the byte holding constraint_set0..5 flags and 2 reserved bits */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  picOrderCntType: number;
  frameMbsOnly: boolean;
  width: number;
  height: number;
  /** time_scale / (2 * num_units_in_tick) when the VUI carries timing, else null */
  fps: number | null;
  /** profile name as ffmpeg/ffprobe prints it */
  profileName: string;
  /** RFC 6381 codec string avc1.PPCCLL */
  codecString: string;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export function h264CodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

/** Same naming as libavcodec, so values compare with ffprobe's `profile`. */
export function h264ProfileName(profileIdc: number, constraintFlags: number): string {
  const set1 = (constraintFlags & 0x40) !== 0;
  const set3 = (constraintFlags & 0x10) !== 0;
  const intra = set3 ? ' Intra' : '';
  switch (profileIdc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return `High 10${intra}`;
    case 122:
      return `High 4:2:2${intra}`;
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    default:
      return `Profile ${profileIdc}`;
  }
}

/** scaling_list() (7.3.2.1.1.1): only consumed, the values don't matter to us. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.readSE();
      if (delta < -128 || delta > 127) {
        throw new ProtocolError('SPS_INVALID', `delta_scale ${delta} out of range`);
      }
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** Bounded frame rate from VUI timing, or null when it is absent or absurd. */
export function saneFps(timeScale: number, ticks: number): number | null {
  if (timeScale === 0 || ticks === 0) return null;
  const fps = timeScale / ticks;
  if (!Number.isFinite(fps) || fps < 0.1 || fps > 1000) return null;
  return Math.round(fps * 1000) / 1000;
}

/** VUI (E.1.1) up to timing_info; returns fps or null. */
function parseVuiFps(r: BitReader): number | null {
  if (r.readFlag()) {
    // aspect_ratio_info_present_flag
    if (r.readBits(8) === 255) r.skipBits(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.readFlag()) r.skipBits(1); // overscan_info_present -> overscan_appropriate
  if (r.readFlag()) {
    // video_signal_type_present: video_format(3) full_range(1) colour_description_present(1)
    r.skipBits(4);
    if (r.readFlag()) r.skipBits(24);
  }
  if (r.readFlag()) {
    // chroma_loc_info_present
    r.readUE();
    r.readUE();
  }
  if (!r.readFlag()) return null; // timing_info_present_flag
  const numUnitsInTick = r.readBits(32);
  const timeScale = r.readBits(32);
  // H.264 ticks count fields: a frame is two ticks (E.2.1)
  return saneFps(timeScale, 2 * numUnitsInTick);
}

/**
 * Parse an SPS NAL unit (starting with its 1-byte NAL header). Throws
 * ProtocolError on truncation, out-of-range syntax or absurd picture sizes.
 * A damaged VUI only costs the frame rate (fps = null): cameras that cut it
 * short still record fine.
 */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length < 4) throw new ProtocolError('SPS_INVALID', `H.264 SPS too short (${nal.length} bytes)`);
  if ((nal[0] & 0x1f) !== 7) throw new ProtocolError('SPS_INVALID', `NAL type ${nal[0] & 0x1f} is not an SPS`);
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1)));
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  const spsId = r.readUEMax(31, 'seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUEMax(3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepthLuma = 8 + r.readUEMax(6, 'bit_depth_luma_minus8');
    bitDepthChroma = 8 + r.readUEMax(6, 'bit_depth_chroma_minus8');
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.readFlag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.readUEMax(12, 'log2_max_frame_num_minus4');
  const picOrderCntType = r.readUEMax(2, 'pic_order_cnt_type');
  if (picOrderCntType === 0) {
    r.readUEMax(12, 'log2_max_pic_order_cnt_lsb_minus4');
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.readSE(); // offset_for_non_ref_pic
    r.readSE(); // offset_for_top_to_bottom_field
    const cycle = r.readUEMax(255, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < cycle; i++) r.readSE();
  }
  r.readUE(); // max_num_ref_frames
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUE() + 1;
  const heightMapUnits = r.readUE() + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.readFlag()) {
    cropLeft = r.readUE();
    cropRight = r.readUE();
    cropTop = r.readUE();
    cropBottom = r.readUE();
  }
  // Cropping units (7.4.2.1.1, Table 6-1): ChromaArrayType 0 (monochrome or
  // separate planes) crops in luma samples; otherwise in chroma samples.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * fieldFactor;
  const codedWidth = widthMbs * 16;
  const codedHeight = heightMapUnits * 16 * fieldFactor;
  const width = codedWidth - cropUnitX * (cropLeft + cropRight);
  const height = codedHeight - cropUnitY * (cropTop + cropBottom);
  if (
    codedWidth > MAX_PICTURE_DIMENSION ||
    codedHeight > MAX_PICTURE_DIMENSION ||
    width <= 0 ||
    height <= 0
  ) {
    throw new ProtocolError(
      'SPS_INVALID',
      `H.264 SPS picture size ${codedWidth}x${codedHeight} cropped to ${width}x${height} is out of range`,
    );
  }
  let fps: number | null = null;
  try {
    if (r.readFlag()) fps = parseVuiFps(r); // vui_parameters_present_flag
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    fps = null;
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    picOrderCntType,
    frameMbsOnly,
    width,
    height,
    fps,
    profileName: h264ProfileName(profileIdc, constraintFlags),
    codecString: h264CodecString(profileIdc, constraintFlags, levelIdc),
  };
}
