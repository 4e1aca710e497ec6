/**
 * FLV file layout constants shared by the muxer and the scanner (Adobe FLV
 * v10.1 annex E, E.2 "The FLV header" and E.3 "The FLV file body").
 */

/** E.2: 9-byte header ('FLV', version, flags, DataOffset) + PreviousTagSize0 (UI32, always 0). */
export const FLV_FILE_HEADER_SIZE = 13;
/** E.4.1 FLVTAG header: type(1) DataSize(3) Timestamp(3) TimestampExtended(1) StreamID(3). */
export const FLV_TAG_HEADER_SIZE = 11;
/** E.3: UI32 PreviousTagSize after each tag = 11 + DataSize. */
export const FLV_PREVIOUS_TAG_SIZE_BYTES = 4;
/**
 * Largest whole tag (header + data + PreviousTagSize) we write or accept when
 * scanning. DataSize is 24-bit anyway; a bigger tag is corruption to us.
 */
export const FLV_MAX_TAG_SIZE = 16 * 1024 * 1024;

/** E.4.1 TagType. */
export const FLV_TAG_AUDIO = 8;
export const FLV_TAG_VIDEO = 9;
export const FLV_TAG_SCRIPT = 18;

/** E-RTMP v2 ExVideoTagHeader packet types used here. */
export const EX_VIDEO_SEQUENCE_START = 0;
export const EX_VIDEO_CODED_FRAMES = 1;
export const EX_VIDEO_CODED_FRAMES_X = 3;
