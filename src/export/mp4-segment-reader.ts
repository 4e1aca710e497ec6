import { open, type FileHandle } from 'node:fs/promises';
import type { DemuxOutput } from '../media/flv-demuxer.js';
import { opusConfig } from '../media/flv-audio.js';
import { parseAudioBody, parseVideoBody } from '../media/flv-media.js';
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import { bodyStart, findChild, readBoxHeader, type BoxHeader } from '../mp4/box-reader.js';
import { parseMoov, readFragmentSamples, type InitTrack } from '../mp4/mp4-reader.js';
import { ProtocolError } from '../errors.js';

/** moov and moof bodies we are willing to read whole */
const MAX_META_BOX = 16 << 20;
/** an mdat holds about a second of media; anything this big is damage */
const MAX_MDAT = 256 << 20;

/** Sample entry body sizes before their child boxes (ISO 14496-12 12.1.3, 12.2.3). */
const VISUAL_ENTRY_FIELDS = 78;
const AUDIO_ENTRY_FIELDS = 28;

/**
 * Frames of one of our fMP4 segments from a fragment offset (from the index)
 * up to `end`: the configuration first (rebuilt from the moov's sample
 * entries), then every sample of every fragment, one fragment in memory at a
 * time. Times are the file's own (ms since the segment start).
 */
export async function* readMp4Segment(path: string, fromOffset: number, end: number): AsyncGenerator<DemuxOutput> {
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    let tracks: { init: InitTrack; config: CodecConfig }[] | null = null;
    while (pos < end) {
      const h = await headerAt(fh, pos, end);
      if (!h) return;
      if (h.type === 'moov') {
        const moov = await readBox(fh, pos, h, MAX_META_BOX);
        tracks = configsOf(moov);
        for (const t of tracks) yield { type: 'config', config: t.config };
        pos = Math.max(h.end + pos, fromOffset);
      } else if (h.type === 'moof' && tracks) {
        const moof = await readBox(fh, pos, h, MAX_META_BOX);
        const mdatAt = pos + h.end;
        const mh = await headerAt(fh, mdatAt, end);
        if (!mh || mh.type !== 'mdat' || mdatAt + mh.end > end) return; // a torn fragment: the end of what is whole
        const mdat = await readBox(fh, mdatAt, mh, MAX_MDAT);
        yield* framesOf(moof, mdat, mdatAt, tracks);
        pos = mdatAt + mh.end;
      } else {
        pos += h.end;
      }
    }
  } finally {
    await fh.close();
  }
}

async function headerAt(fh: FileHandle, pos: number, end: number): Promise<BoxHeader | null> {
  const b = Buffer.alloc(16);
  const { bytesRead } = await fh.read(b, 0, Math.min(16, end - pos), pos);
  const h = readBoxHeader(b, 0, bytesRead);
  // size 0 ("to the end") is not something we write; a box of 16 bytes or less is (a small mdat)
  if (!h || b.readUInt32BE(0) === 0) return null;
  return { ...h, end: h.end - h.start, start: 0 };
}

async function readBox(fh: FileHandle, pos: number, h: BoxHeader, max: number): Promise<Buffer> {
  const size = h.end;
  if (size > max) throw new ProtocolError('MP4_BOX_SIZE', `'${h.type}' of ${size} bytes at ${pos} is larger than ${max}`);
  const b = Buffer.allocUnsafe(size);
  const { bytesRead } = await fh.read(b, 0, size, pos);
  if (bytesRead !== size) throw new ProtocolError('MP4_TRUNCATED', `'${h.type}' at ${pos} is cut short`);
  return b;
}

function framesOf(moof: Buffer, mdat: Buffer, mdatAt: number, tracks: { init: InitTrack; config: CodecConfig }[]): DemuxOutput[] {
  const out: { frame: MediaFrame }[] = [];
  for (const t of readFragmentSamples(moof, mdatAt, tracks.map((x) => x.init), mdat.length)) {
    const config = tracks.find((x) => x.init.id === t.trackId)!.config;
    for (const s of t.samples) {
      const payload = mdat.subarray(s.offset - mdatAt, s.offset - mdatAt + s.size);
      const frame: MediaFrame =
        config.track === 'video'
          ? { track: 'video', codec: config.codec, dts: s.dts, pts: s.pts, keyframe: s.keyframe, payload }
          : { track: 'audio', codec: config.codec, dts: s.dts, pts: s.dts, keyframe: true, payload };
      out.push({ frame });
    }
  }
  // one interleaved stream, in decode order, as the frames arrived when recorded
  return out.sort((a, b) => a.frame.dts - b.frame.dts).map((x) => ({ type: 'frame', frame: x.frame }));
}

/** Each track's CodecConfig, rebuilt through the same parsers ingest uses. */
function configsOf(moov: Buffer): { init: InitTrack; config: CodecConfig }[] {
  const h = readBoxHeader(moov, 0)!;
  const inits = parseMoov(moov, h);
  const out: { init: InitTrack; config: CodecConfig }[] = [];
  const traks = boxesOf(moov, h).filter((b) => b.type === 'trak');
  for (const [i, init] of inits.entries()) {
    const entry = sampleEntryOf(moov, traks[i]);
    const config = entry && configFromEntry(moov, entry, init);
    if (config) out.push({ init, config });
  }
  return out;
}

function boxesOf(buf: Buffer, parent: BoxHeader): BoxHeader[] {
  const out: BoxHeader[] = [];
  for (let p = bodyStart(parent); p < parent.end; ) {
    const c = readBoxHeader(buf, p, parent.end);
    if (!c || c.end <= p) break;
    out.push(c);
    p = c.end;
  }
  return out;
}

function sampleEntryOf(buf: Buffer, trak: BoxHeader | undefined): BoxHeader | null {
  let box: BoxHeader | undefined = trak;
  for (const type of ['mdia', 'minf', 'stbl', 'stsd']) box = box && findChild(buf, box, type, 1);
  if (!box) return null;
  // stsd: full box header (4) + entry_count (4), then the first sample entry, which must fit in the stsd
  const entry = readBoxHeader(buf, bodyStart(box) + 8, box.end);
  return entry && entry.end <= box.end ? entry : null;
}

function configFromEntry(buf: Buffer, entry: BoxHeader, init: InitTrack): CodecConfig | null {
  const fields = bodyStart(entry);
  if (init.handler === 'vide') {
    const child = readBoxHeader(buf, fields + VISUAL_ENTRY_FIELDS, entry.end);
    if (!child || (child.type !== 'avcC' && child.type !== 'hvcC')) return null;
    const record = buf.subarray(bodyStart(child), child.end);
    // the FLV sequence header of that record, parsed as ingest would
    const head = child.type === 'avcC' ? Buffer.from([0x17, 0, 0, 0, 0]) : Buffer.from([0x1c, 0, 0, 0, 0]);
    const r = parseVideoBody(Buffer.concat([head, record]), 0);
    return r.kind === 'config' ? r.config : null;
  }
  if (fields + AUDIO_ENTRY_FIELDS > entry.end) return null;
  const channels = buf.readUInt16BE(fields + 16);
  if (init.codec === 'alaw' || init.codec === 'ulaw') {
    const flags = (init.codec === 'alaw' ? 0x70 : 0x80) | (channels > 1 ? 1 : 0) | 0x02;
    const r = parseAudioBody(Buffer.from([flags, 0]), 0);
    return r.kind === 'frame' && r.impliedConfig ? r.impliedConfig : null;
  }
  if (init.codec === 'Opus') return opusFromEntry(buf, fields + AUDIO_ENTRY_FIELDS, entry.end);
  if (init.codec !== 'mp4a') return null;
  const esds = readBoxHeader(buf, fields + AUDIO_ENTRY_FIELDS, entry.end);
  const asc = esds && esds.type === 'esds' ? decoderSpecificInfo(buf.subarray(bodyStart(esds) + 4, esds.end)) : null;
  if (!asc) return esds?.type === 'esds' ? mp3Config(channels, buf.readUInt32BE(fields + 24) >>> 16) : null;
  const r = parseAudioBody(Buffer.concat([Buffer.from([0xaf, 0x00]), asc]), 0);
  return r.kind === 'config' ? r.config : null;
}

/**
 * Opus: the dOps box ("Encapsulation of Opus in ISO BMFF" 4.3.2) holds
 * OpusHead's fields big-endian and without the magic; rebuild the OpusHead
 * (RFC 7845 5.1) that ingest would have had.
 */
function opusFromEntry(buf: Buffer, at: number, end: number): CodecConfig | null {
  const dops = readBoxHeader(buf, at, end);
  if (!dops || dops.type !== 'dOps' || dops.end > end || dops.end - bodyStart(dops) < 11) return null;
  const d = buf.subarray(bodyStart(dops), dops.end);
  const head = Buffer.alloc(19 + d.length - 11);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = d[1];
  head.writeUInt16LE(d.readUInt16BE(2), 10);
  head.writeUInt32LE(d.readUInt32BE(4), 12);
  head.writeInt16LE(d.readInt16BE(8), 16);
  head[18] = d[10];
  d.copy(head, 19, 11);
  return opusConfig(head);
}

/**
 * MP3 in 'mp4a' (esds objectTypeIndication 0x6B / 0x69) has no DecoderSpecificInfo:
 * rate and channels come from the sample entry, as the FLV path takes them from the tag.
 */
function mp3Config(channels: number, sampleRate: number): CodecConfig | null {
  if (sampleRate === 0 || channels === 0) return null;
  const codecString = sampleRate >= 32000 ? 'mp4a.6B' : 'mp4a.69';
  return { track: 'audio', codec: 'mp3', record: Buffer.alloc(0), info: { codec: 'mp3', sampleRate, channels, objectType: null, codecString } };
}

/** The DecoderSpecificInfo (tag 5) inside an ES_Descriptor (ISO 14496-1 7.2.6). */
function decoderSpecificInfo(es: Buffer): Buffer | null {
  for (let p = 0; p < es.length; ) {
    const tag = es[p++];
    let len = 0;
    for (let i = 0; i < 4 && p < es.length; i++) {
      const b = es[p++];
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag === 5) return es.subarray(p, p + len);
    // ES_Descriptor (3) and DecoderConfigDescriptor (4) contain the others: step into their fixed fields
    if (tag === 3) p += 3;
    else if (tag === 4) p += 13;
    else p += len;
  }
  return null;
}
