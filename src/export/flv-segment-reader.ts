import { open } from 'node:fs/promises';
import { FLV_FILE_HEADER_SIZE, FLV_PREVIOUS_TAG_SIZE_BYTES, FLV_TAG_HEADER_SIZE } from '../flv/flv-format.js';
import { FlvDemuxer, type DemuxOutput } from '../media/flv-demuxer.js';

const READ_BYTES = 1 << 20;
/** sequence headers and onMetaData sit in the first tags of our files */
const HEAD_BYTES = 64 * 1024;

/**
 * Frames of one FLV segment from a byte offset (a keyframe's tag, from the
 * index) up to `end`, read in 1 MiB pieces: memory stays flat however long the
 * file. The codec configuration comes first, from the tags at the file's start.
 * Frame times are the file's own (ms since the segment start).
 */
export async function* readFlvSegment(path: string, fromOffset: number, end: number): AsyncGenerator<DemuxOutput> {
  const fh = await open(path, 'r');
  try {
    const demuxer = new FlvDemuxer();
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, end));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    let configsEnd = FLV_FILE_HEADER_SIZE;
    for (const tag of tags(head.subarray(0, bytesRead), FLV_FILE_HEADER_SIZE)) {
      if (tag.type !== 18 && !isSequenceHeader(tag.type, tag.body)) break;
      if (tag.type !== 18) yield* demuxer.push(tag.type === 8 ? 'audio' : 'video', tag.timestamp, tag.body);
      configsEnd = tag.next;
    }
    let pos = Math.max(fromOffset, configsEnd);
    let carry: Buffer | null = null;
    while (pos < end) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_BYTES, end - pos));
      const r = await fh.read(chunk, 0, chunk.length, pos);
      if (r.bytesRead === 0) break;
      pos += r.bytesRead;
      const buf: Buffer = carry ? Buffer.concat([carry, chunk.subarray(0, r.bytesRead)]) : chunk.subarray(0, r.bytesRead);
      let used = 0;
      for (const tag of tags(buf, 0)) {
        if (tag.type === 8 || tag.type === 9) yield* demuxer.push(tag.type === 8 ? 'audio' : 'video', tag.timestamp, tag.body);
        used = tag.next;
      }
      // only a tag cut by the read boundary is copied into the next buffer
      carry = used < buf.length ? buf.subarray(used) : null;
    }
  } finally {
    await fh.close();
  }
}

interface Tag {
  type: number;
  timestamp: number;
  body: Buffer;
  /** offset just after this tag (and its PreviousTagSize) */
  next: number;
}

/** Whole tags in buf from `off`; stops at the first incomplete one. */
function* tags(buf: Buffer, off: number): Generator<Tag> {
  while (off + FLV_TAG_HEADER_SIZE <= buf.length) {
    const size = buf.readUIntBE(off + 1, 3);
    const next = off + FLV_TAG_HEADER_SIZE + size + FLV_PREVIOUS_TAG_SIZE_BYTES;
    if (next > buf.length) return;
    const timestamp = (buf.readUIntBE(off + 4, 3) | (buf[off + 7] << 24)) >>> 0;
    yield { type: buf[off] & 0x1f, timestamp, body: buf.subarray(off + FLV_TAG_HEADER_SIZE, off + FLV_TAG_HEADER_SIZE + size), next };
    off = next;
  }
}

/** AVC/HEVC/AAC sequence header, legacy or Enhanced RTMP (packet type 0 in both). */
function isSequenceHeader(type: number, body: Buffer): boolean {
  if (body.length < 2) return false;
  if (type === 9) return body[0] & 0x80 ? (body[0] & 0x0f) === 0 : body[1] === 0;
  return type === 8 && body[0] >> 4 === 10 && body[1] === 0;
}
