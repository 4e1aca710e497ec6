/**
 * Server side of the RTMP handshake (RTMP 1.0 spec section 5.2), as a pure
 * state machine: the connection feeds bytes in, gets bytes to write out.
 * Answers a plain handshake, or the digest one when C1 carries a valid
 * Flash Player digest (see handshake-digest.ts).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ProtocolError } from '../errors.js';
import {
  FMS_KEY,
  FMS_KEY_PARTIAL,
  FP_KEY_PARTIAL,
  PACKET_SIZE,
  findDigest,
  signPacket,
  signResponse,
} from './handshake-digest.js';

/** C0/S0: the only version we speak, plain RTMP (spec 5.2.2). */
export const RTMP_VERSION = 3;

/** Nonzero version field in a digest S1; real servers put theirs here (FMS 4.5.0.1 style). */
const SERVER_VERSION = Buffer.from([0x04, 0x05, 0x00, 0x01]);

export type HandshakeScheme = 'plain' | 'digest0' | 'digest1';

export interface HandshakeOptions {
  /** Milliseconds (uptime) for the 4-byte time fields; wraps at 2^32. */
  now?: () => number;
  random?: (n: number) => Buffer;
}

export interface HandshakeStep {
  /** Bytes to write to the peer now, in order. */
  send: Buffer[];
  done: boolean;
  /** Bytes received after the handshake (the start of the chunk stream); a view into the fed chunk. */
  rest: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Throws unless `byte` is a C0/S0 of 3; the message names what it looks like. */
export function checkVersionByte(byte: number): void {
  if (byte === RTMP_VERSION) return;
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  let hint = '';
  if (byte === 6 || byte === 8 || byte === 9) hint = ' (RTMPE, encrypted RTMP, is not supported)';
  else if (byte === 0x16) hint = ' (looks like TLS: RTMPS is not supported)';
  else if (byte === 0x47 || byte === 0x50) hint = ' (looks like HTTP)';
  throw new ProtocolError('HANDSHAKE_VERSION', `unsupported RTMP handshake version ${byte} (${hex})${hint}`);
}

/** Accumulates a fixed-size packet from arbitrarily split input. */
export class PacketCollector {
  private readonly buf: Buffer;
  private filled = 0;

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  /** Copies what fits from chunk[off..]; returns the new offset into chunk. */
  take(chunk: Buffer, off: number): number {
    const n = Math.min(this.buf.length - this.filled, chunk.length - off);
    chunk.copy(this.buf, this.filled, off, off + n);
    this.filled += n;
    return off + n;
  }

  get full(): boolean {
    return this.filled === this.buf.length;
  }

  get bytes(): Buffer {
    return this.buf;
  }
}

export function randomFrom(random: (n: number) => Buffer, n: number): Buffer {
  const b = random(n);
  if (b.length !== n) throw new Error(`handshake random source returned ${b.length} bytes, wanted ${n}`);
  return b;
}

/** C1/S1 of a plain handshake: time(4), zero(4), random(1528) (spec 5.2.3). */
export function plainPacket(time: number, random: Buffer): Buffer {
  const p = Buffer.alloc(PACKET_SIZE);
  p.writeUInt32BE(time >>> 0, 0);
  random.copy(p, 8);
  return p;
}

/** C2/S2 of a plain handshake: the peer's C1/S1 with time2 = when we read it (spec 5.2.4). */
export function echoPacket(peer: Buffer, readTime: number): Buffer {
  const p = Buffer.from(peer);
  p.writeUInt32BE(readTime >>> 0, 4);
  return p;
}

type ServerState = 'c0' | 'c1' | 'c2' | 'done' | 'failed';

export class ServerHandshake {
  private state: ServerState = 'c0';
  private readonly c1 = new PacketCollector(PACKET_SIZE);
  private c2Left = PACKET_SIZE;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  private schemeUsed: HandshakeScheme | undefined;

  constructor(opts: HandshakeOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? randomBytes;
  }

  /** What the client used, known once C1 has arrived. */
  get scheme(): HandshakeScheme | undefined {
    return this.schemeUsed;
  }

  /**
   * Feed bytes as they arrive, in any split. S0+S1+S2 are returned as soon as
   * C0+C1 are in (some clients wait for S2 before sending C2). C2 is consumed
   * without checks: real clients echo S1 loosely or send garbage.
   */
  feed(chunk: Buffer): HandshakeStep {
    if (this.state === 'done' || this.state === 'failed') {
      throw new Error(`ServerHandshake.feed() called after the handshake ${this.state === 'done' ? 'completed' : 'failed'}`);
    }
    const send: Buffer[] = [];
    let off = 0;
    try {
      while (off < chunk.length && this.state !== 'done') {
        if (this.state === 'c0') {
          checkVersionByte(chunk[off++]);
          this.state = 'c1';
        } else if (this.state === 'c1') {
          off = this.c1.take(chunk, off);
          if (this.c1.full) {
            send.push(this.respond(this.c1.bytes));
            this.state = 'c2';
          }
        } else {
          const n = Math.min(this.c2Left, chunk.length - off);
          this.c2Left -= n;
          off += n;
          if (this.c2Left === 0) this.state = 'done';
        }
      }
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    const done = this.state === 'done';
    return { send, done, rest: done && off < chunk.length ? chunk.subarray(off) : EMPTY };
  }

  /** S0+S1+S2 for a complete C1. */
  private respond(c1: Buffer): Buffer {
    const time = this.now();
    // A zero version field (bytes 4..7) means a plain client (spec 5.2.3);
    // a nonzero one without a valid digest gets the plain answer too.
    const found = c1.readUInt32BE(4) !== 0 ? findDigest(c1, FP_KEY_PARTIAL) : undefined;
    const s1 = plainPacket(time, randomFrom(this.random, PACKET_SIZE - 8));
    let s2: Buffer;
    if (found) {
      SERVER_VERSION.copy(s1, 4);
      signPacket(s1, found.schema, FMS_KEY_PARTIAL);
      s2 = Buffer.alloc(PACKET_SIZE);
      randomFrom(this.random, PACKET_SIZE - 32).copy(s2, 0);
      signResponse(s2, found.digest, FMS_KEY);
      this.schemeUsed = found.schema === 0 ? 'digest0' : 'digest1';
    } else {
      s2 = echoPacket(c1, time);
      this.schemeUsed = 'plain';
    }
    return Buffer.concat([Buffer.of(RTMP_VERSION), s1, s2]);
  }
}
