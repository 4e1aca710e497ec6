/** HLS packaging settings and what goes into the fMP4 tracks. */
import type { CodecConfig } from '../../media/frame.js';
import type { AudioConfig } from './cmaf-chunker.js';

export interface HlsSettings {
  /** part length, ms (LL-HLS parts; 200 ms parts reach 1-2 s of latency) */
  partMs: number;
  /** a segment ends at the first keyframe this long after its start: one GOP of 1 s or more */
  segmentMs: number;
  /** a segment longer than this is cut even without a keyframe */
  maxSegmentMs: number;
  /** segments listed in the playlist */
  playlistSegments: number;
  /** segments still served after leaving the playlist (RFC 8216 6.2.2) */
  retainSegments: number;
  /** media bytes held per camera at most */
  maxBytes: number;
  /** list parts, preload hints and blocking reload (LL-HLS) */
  lowLatency: boolean;
}

export const DEFAULT_HLS_SETTINGS: HlsSettings = {
  partMs: 200,
  segmentMs: 1000,
  maxSegmentMs: 10_000,
  playlistSegments: 6,
  retainSegments: 3,
  maxBytes: 64 * 1024 * 1024,
  lowLatency: true,
};

/** Where numbering starts: above anything a previous packager for the camera handed out. */
export interface HlsNumbering {
  msn: number;
  partId: number;
  initId: number;
}

/**
 * The audio track HLS gets: AAC only. G.711 (pcma/pcmu) is left out because
 * HLS players cannot decode it from fMP4 (MSE has no A-law/mu-law, and
 * Apple's HLS authoring spec lists no G.711), and a track the player cannot
 * decode can keep the whole stream from playing (MEDIA-NOTES: MSE cannot play
 * it). MP3 and Opus in fMP4 are left out too, being unevenly supported across
 * Safari versions. Video still plays; the recordings keep the audio.
 */
export function hlsAudio(config: CodecConfig): AudioConfig | null {
  return config.track === 'audio' && config.codec === 'aac' ? config : null;
}
