/**
 * What a fragment reader needs from an init segment's moov: per track its id,
 * timescale, handler and sample entry type, and the trex defaults that
 * fragments may rely on (ISO 14496-12 8.3.2, 8.4.2, 8.4.3, 8.5.2, 8.8.3).
 * Tracks other than video and sound are left out.
 */
import { BoxFields, childBoxes, fail, findChild, requireChild, type BoxHeader } from './box-reader.js';

export interface InitTrack {
  id: number;
  timescale: number;
  handler: 'vide' | 'soun';
  /** sample entry four-character code: avc1, hvc1, mp4a, alaw, ulaw, Opus, ... */
  codec: string;
  /** trex defaults (8.8.3) */
  defaults: { duration: number; size: number; flags: number };
}

export interface InitInfo {
  /** offset just past the moov (where the first fragment may start) */
  end: number;
  tracks: InitTrack[];
}

function trackId(buf: Buffer, tkhd: BoxHeader): number {
  const f = new BoxFields(buf, tkhd);
  const { version } = f.versionAndFlags();
  f.skip(version === 1 ? 16 : 8); // creation_time, modification_time
  return f.u32();
}

function timescale(buf: Buffer, mdhd: BoxHeader): number {
  const f = new BoxFields(buf, mdhd);
  const { version } = f.versionAndFlags();
  f.skip(version === 1 ? 16 : 8);
  const t = f.u32();
  if (t === 0) fail('MP4_BAD_TIMESCALE', `mdhd at ${mdhd.start} has timescale 0`);
  return t;
}

function handler(buf: Buffer, hdlr: BoxHeader): string {
  const f = new BoxFields(buf, hdlr);
  f.versionAndFlags();
  f.skip(4); // pre_defined
  return f.fourcc();
}

function sampleEntryType(buf: Buffer, stsd: BoxHeader): string {
  const f = new BoxFields(buf, stsd);
  f.versionAndFlags();
  if (f.u32() === 0) fail('MP4_MISSING_BOX', `stsd at ${stsd.start} has no sample entry`);
  f.skip(4); // the first entry's size
  return f.fourcc();
}

/** Tracks of a complete moov box in buf. */
export function parseMoov(buf: Buffer, moov: BoxHeader): InitTrack[] {
  const defaults = new Map<number, InitTrack['defaults']>();
  const mvex = findChild(buf, moov, 'mvex', 1);
  for (const trex of mvex ? childBoxes(buf, mvex, 2).filter((b) => b.type === 'trex') : []) {
    const f = new BoxFields(buf, trex);
    f.versionAndFlags();
    const id = f.u32();
    f.skip(4); // default_sample_description_index
    defaults.set(id, { duration: f.u32(), size: f.u32(), flags: f.u32() });
  }
  const tracks: InitTrack[] = [];
  for (const trak of childBoxes(buf, moov, 1).filter((b) => b.type === 'trak')) {
    const mdia = requireChild(buf, trak, 'mdia', 2);
    const kind = handler(buf, requireChild(buf, mdia, 'hdlr', 3));
    if (kind !== 'vide' && kind !== 'soun') continue;
    const stbl = requireChild(buf, requireChild(buf, mdia, 'minf', 3), 'stbl', 4);
    const id = trackId(buf, requireChild(buf, trak, 'tkhd', 2));
    tracks.push({
      id,
      timescale: timescale(buf, requireChild(buf, mdia, 'mdhd', 3)),
      handler: kind,
      codec: sampleEntryType(buf, requireChild(buf, stbl, 'stsd', 5)),
      defaults: defaults.get(id) ?? { duration: 0, size: 0, flags: 0 },
    });
  }
  return tracks;
}
