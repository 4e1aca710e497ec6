/**
 * A track of an fMP4 file: its id, codec config and media timescale. Video
 * uses 90 kHz (MPEG's clock: whole ticks for RTMP's milliseconds and every
 * common frame rate); audio uses its sample rate so durations are sample
 * counts (MEDIA-NOTES "FLV to fragmented MP4" 4).
 */
import type { CodecConfig } from '../media/frame.js';
import { audioTiming } from './audio-timing.js';

export const VIDEO_TIMESCALE = 90000;
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

export interface TrackConfig {
  /** tkhd track_ID, >= 1 */
  id: number;
  config: CodecConfig;
  /** mdhd timescale */
  timescale: number;
}

export function trackFor(config: CodecConfig, id?: number): TrackConfig {
  if (config.track === 'video') return { id: id ?? VIDEO_TRACK_ID, config, timescale: VIDEO_TIMESCALE };
  return { id: id ?? AUDIO_TRACK_ID, config, timescale: audioTiming(config).timescale };
}

/** MIME type with RFC 6381 codecs for these tracks, as MediaSource.isTypeSupported() wants it. */
export function mimeType(tracks: TrackConfig[]): string {
  const kind = tracks.some((t) => t.config.track === 'video') ? 'video' : 'audio';
  return `${kind}/mp4; codecs="${tracks.map((t) => t.config.info.codecString).join(',')}"`;
}
