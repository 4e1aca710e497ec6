import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

/** Inclusive byte positions, as in Content-Range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A Range header against a body of `size` bytes (RFC 9110 §14): one range, or
 * 'unsatisfiable' (answer 416), or null to send the whole body (no header,
 * another unit, bad syntax, or several ranges: serving all is allowed).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=\s*(\d*)-(\d*)\s*$/i.exec(header.trim());
  if (!m) return null;
  const [, first, last] = m;
  if (first === '' && last === '') return null;
  if (first === '') {
    // suffix: the last n bytes
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null; // invalid range-spec: ignored, as the RFC says
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

export interface ServeFileOptions {
  /** Absolute path; errors opening it (ENOENT...) reach the caller before any header is set. */
  file: string;
  contentType: string;
  /** Bytes to serve given the file's current stats; default: its size. */
  length?: (stat: Stats) => number;
  /** Strong validator, quoted, for the bytes served. */
  etag: (length: number, stat: Stats) => string;
  cacheControl?: string;
  contentDisposition?: string;
}

/**
 * Sends a file with Range, If-Range and If-None-Match support. Opens once and
 * serves from that descriptor, so a file deleted or replaced meanwhile cannot
 * change what the headers describe. HEAD gets the headers only.
 */
export async function serveFile(request: FastifyRequest, reply: FastifyReply, opts: ServeFileOptions): Promise<FastifyReply> {
  const handle = await open(opts.file, 'r');
  let streaming = false;
  try {
    const stat = await handle.stat();
    const size = Math.max(0, Math.min(opts.length ? opts.length(stat) : stat.size, stat.size));
    const etag = opts.etag(size, stat);
    const lastModified = stat.mtime.toUTCString();
    reply.header('accept-ranges', 'bytes').header('etag', etag).header('last-modified', lastModified);
    if (opts.cacheControl) reply.header('cache-control', opts.cacheControl);
    if (opts.contentDisposition) reply.header('content-disposition', opts.contentDisposition);

    if (matchesAny(request.headers['if-none-match'], etag)) return reply.code(304).send();

    const ifRange = request.headers['if-range'];
    const rangeHeader = ifRange === undefined || ifRange === etag || ifRange === lastModified ? request.headers.range : undefined;
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${size}`);
      return reply.code(416).send(errorBody('RANGE_NOT_SATISFIABLE', `range ${String(rangeHeader).slice(0, 64)} is outside the ${size} bytes of this file`));
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    reply.header('content-type', opts.contentType);
    if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
    reply.header('content-length', String(end - start + 1));
    if (request.method === 'HEAD' || end < start) return reply.send();
    streaming = true;
    return reply.send(handle.createReadStream({ start, end }));
  } finally {
    if (!streaming) await handle.close();
  }
}

/** If-None-Match: '*' or a list of entity tags, compared weakly (RFC 9110 §13.1.2). */
function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string): string => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}
