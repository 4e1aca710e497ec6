/**
 * The one internal media frame type. Ingest produces it; the recorder, motion
 * and live viewers consume it. Times are integer milliseconds on the
 * publisher's clock, already unwrapped past 2^32 (see timestamp-unwrap.ts).
 */
export type VideoCodec = 'h264' | 'h265';
/** pcma / pcmu are G.711 A-law / mu-law, kept exactly as the camera sent them. */
export type AudioCodec = 'aac' | 'pcma' | 'pcmu' | 'mp3' | 'opus';
export type Track = 'video' | 'audio';

export interface VideoFrame {
  track: 'video';
  codec: VideoCodec;
  /** decode time, ms */
  dts: number;
  /** presentation time, ms (dts + signed composition offset) */
  pts: number;
  keyframe: boolean;
  /** NAL units, each prefixed by a 4-byte big-endian length (AVCC/HVCC layout). */
  payload: Buffer;
}

export interface AudioFrame {
  track: 'audio';
  codec: AudioCodec;
  dts: number;
  pts: number;
  /** every audio frame is a sync sample */
  keyframe: true;
  /** AAC: one raw access unit (no ADTS). G.711: the samples as sent. */
  payload: Buffer;
}

export type MediaFrame = VideoFrame | AudioFrame;

export interface VideoInfo {
  codec: VideoCodec;
  width: number;
  height: number;
  /** from the SPS VUI timing when present, else null (measured fps is reported elsewhere) */
  fps: number | null;
  profile: string;
  level: number;
  /** RFC 6381 codec string, e.g. avc1.64001f, hvc1.1.6.L93.B0 */
  codecString: string;
}

export interface AudioInfo {
  codec: AudioCodec;
  sampleRate: number;
  channels: number;
  /** AAC object type (2 = LC) or null for other codecs */
  objectType: number | null;
  codecString: string;
}

/** Codec configuration, kept apart from frames: sent once, and again when it changes. */
export type CodecConfig =
  | {
      track: 'video';
      codec: VideoCodec;
      /** AVCDecoderConfigurationRecord or HEVCDecoderConfigurationRecord, as in avcC/hvcC */
      record: Buffer;
      info: VideoInfo;
    }
  | {
      track: 'audio';
      codec: AudioCodec;
      /** AudioSpecificConfig for AAC; empty for G.711 */
      record: Buffer;
      info: AudioInfo;
    };

/** onMetaData as the publisher sent it (strings, numbers, booleans only; untrusted). */
export type StreamMetadata = Record<string, string | number | boolean | null>;
