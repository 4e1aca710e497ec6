/**
 * The initialization segment of a fragmented MP4: ftyp + moov with empty
 * sample tables and an mvex, so every sample lives in a movie fragment
 * (ISO 14496-12 8.8.1). Written once per file, and again whenever a codec
 * configuration changes (MEDIA-NOTES "FLV to fragmented MP4" 8).
 */
import { box, fixed16, fourcc, fullBox, toBuffer, u16, u32, unityMatrix, zeros, type Box } from './boxes.js';
import { sampleEntry } from './sample-entries.js';
import type { TrackConfig } from './track-config.js';

/** mvhd timescale: only durations (all 0 here) use it */
const MOVIE_TIMESCALE = 1000;
/** mdhd language "und" packed as three 5-bit letters (8.4.2.3) */
const LANGUAGE_UND = 0x55c4;
/** tkhd flags (8.3.2.3): track_enabled | track_in_movie */
const TRACK_ENABLED_IN_MOVIE = 0x000003;

/**
 * ftyp (4.3): major brand isom; compatible iso6 (a 14496-12 edition that
 * knows trun version 1, i.e. signed composition offsets), mp41, and avc1
 * (14496-15) when there is H.264.
 */
export function ftyp(tracks: TrackConfig[]): Box {
  const brands = ['isom', 'iso6', 'mp41'];
  if (tracks.some((t) => t.config.codec === 'h264')) brands.push('avc1');
  return box('ftyp', fourcc('isom'), u32(0x200), ...brands.map(fourcc));
}

/** mvhd version 0 (8.2.2): times and duration 0 (unknown: the fragments carry them). */
export function mvhd(nextTrackId: number): Box {
  return fullBox(
    'mvhd', 0, 0,
    u32(0), u32(0), // creation_time, modification_time
    u32(MOVIE_TIMESCALE),
    u32(0), // duration
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10), // reserved
    unityMatrix(),
    zeros(24), // pre_defined[6]
    u32(nextTrackId),
  );
}

/** tkhd version 0 (8.3.2): visual size in 16.16, volume 1.0 for audio only. */
export function tkhd(track: TrackConfig): Box {
  const video = track.config.track === 'video' ? track.config.info : null;
  return fullBox(
    'tkhd', 0, TRACK_ENABLED_IN_MOVIE,
    u32(0), u32(0), // creation_time, modification_time
    u32(track.id),
    u32(0), // reserved
    u32(0), // duration
    zeros(8), // reserved
    u16(0), // layer
    u16(0), // alternate_group
    u16(video ? 0 : 0x0100),
    u16(0), // reserved
    unityMatrix(),
    fixed16(video?.width ?? 0),
    fixed16(video?.height ?? 0),
  );
}

/** mdhd version 0 (8.4.2). */
export function mdhd(timescale: number): Box {
  return fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(LANGUAGE_UND), u16(0));
}

/** hdlr (8.4.3): handler type and a null-terminated name. */
export function hdlr(handler: 'vide' | 'soun'): Box {
  const name = handler === 'vide' ? 'VideoHandler' : 'SoundHandler';
  return fullBox('hdlr', 0, 0, u32(0), fourcc(handler), zeros(12), Buffer.from(`${name}\0`, 'latin1'));
}

/** dinf > dref with one 'url ' entry, flags 1: the media is in this file (8.7.2). */
function dinf(): Box {
  return box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
}

/** stbl with the sample entry and empty tables (8.5-8.7): samples come in fragments. */
function stbl(track: TrackConfig): Box {
  return box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), sampleEntry(track.config, track.timescale)),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
}

function trak(track: TrackConfig): Box {
  const video = track.config.track === 'video';
  // vmhd flags must be 1 (12.1.2.2); smhd balance 0 = centre (12.2.2.2)
  const header = video ? fullBox('vmhd', 0, 1, u16(0), zeros(6)) : fullBox('smhd', 0, 0, u16(0), u16(0));
  const minf = box('minf', header, dinf(), stbl(track));
  return box('trak', tkhd(track), box('mdia', mdhd(track.timescale), hdlr(video ? 'vide' : 'soun'), minf));
}

/** trex (8.8.3): defaults all 0, so every trun states its samples' durations, sizes and flags. */
export function trex(trackId: number): Box {
  return fullBox('trex', 0, 0, u32(trackId), u32(1), u32(0), u32(0), u32(0));
}

export function moov(tracks: TrackConfig[]): Box {
  const ids = new Set(tracks.map((t) => t.id));
  if (tracks.length === 0 || ids.size !== tracks.length || [...ids].some((id) => !Number.isInteger(id) || id < 1 || id > 0xfffffffe)) {
    throw new RangeError(`track ids must be distinct integers >= 1 (got ${tracks.map((t) => t.id).join(', ')})`);
  }
  return box('moov', mvhd(Math.max(...ids) + 1), ...tracks.map(trak), box('mvex', ...tracks.map((t) => trex(t.id))));
}

/** ftyp + moov for these tracks, as one Buffer. */
export function initSegment(tracks: TrackConfig[]): Buffer {
  return toBuffer(ftyp(tracks), moov(tracks));
}
