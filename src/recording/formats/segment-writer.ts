import type { CodecConfig, MediaFrame } from '../../media/frame.js';

export interface SegmentTracks {
  video: CodecConfig | null;
  audio: CodecConfig | null;
}

/** A seek point inside the file: ms since the segment start, and where to start reading. */
export interface SeekPoint {
  relMs: number;
  offset: number;
}

export interface WriterOutput {
  /** bytes to append, in order (frame payloads are not copied) */
  parts: Buffer[];
  seekPoints: SeekPoint[];
}

/**
 * Turns one segment's frames into file bytes. Pure: it tracks its own byte
 * position; the recorder appends what it returns. One per segment file.
 */
export interface SegmentWriter {
  /** file header and codec configuration */
  begin(): Buffer[];
  /** a frame at `relMs` ms after the segment's first frame (never negative) */
  frame(frame: MediaFrame, relMs: number): WriterOutput;
  /** what is still held back (the fMP4 writer holds one fragment) */
  end(): WriterOutput;
}

export const EMPTY_OUTPUT: WriterOutput = { parts: [], seekPoints: [] };

export function byteLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}
