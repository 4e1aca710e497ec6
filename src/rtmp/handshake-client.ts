/**
 * Client side of the RTMP handshake (RTMP 1.0 spec section 5.2), plain or
 * digest, as a pure state machine. Used by tests and by relays that push to
 * another server.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  FMS_KEY,
  FMS_KEY_PARTIAL,
  FP_KEY,
  FP_KEY_PARTIAL,
  PACKET_SIZE,
  findDigest,
  signPacket,
  signResponse,
  verifyResponse,
} from './handshake-digest.js';
import {
  PacketCollector,
  RTMP_VERSION,
  checkVersionByte,
  echoPacket,
  plainPacket,
  randomFrom,
  type HandshakeOptions,
  type HandshakeStep,
} from './handshake.js';

export interface ClientHandshakeOptions extends HandshakeOptions {
  /** Send a Flash Player style digest C1 (schema 1) instead of a plain one. */
  digest?: boolean;
}

/** Version field of a digest C1: Flash Player 9.0.124.2, as ffmpeg sends. */
const CLIENT_VERSION = Buffer.from([0x09, 0x00, 0x7c, 0x02]);

type ClientState = 'new' | 's0' | 's1' | 's2' | 'done' | 'failed';

const EMPTY = Buffer.alloc(0);

export class ClientHandshake {
  private state: ClientState = 'new';
  private readonly s1 = new PacketCollector(PACKET_SIZE);
  private readonly s2 = new PacketCollector(PACKET_SIZE);
  private readonly digest: boolean;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;
  /** Digest we put in C1; the server signs S2 with it. */
  private ownDigest: Buffer | undefined;
  /** Whether S1 carried a valid server digest (then S2 must be signed). */
  private serverSigned = false;
  private digestValid: boolean | undefined;

  constructor(opts: ClientHandshakeOptions = {}) {
    this.digest = opts.digest ?? false;
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? randomBytes;
  }

  /**
   * For a digest client: true when S1 and S2 both carry valid server digests,
   * false when S1 claims a version but a digest is wrong, undefined for a
   * plain client or a plain server (zero S1 version), or before S2.
   */
  get serverDigestValid(): boolean | undefined {
    return this.digestValid;
  }

  /** C0+C1, to send first. */
  start(): Buffer {
    if (this.state !== 'new') throw new Error('ClientHandshake.start() called twice');
    const c1 = plainPacket(this.now(), randomFrom(this.random, PACKET_SIZE - 8));
    if (this.digest) {
      CLIENT_VERSION.copy(c1, 4);
      this.ownDigest = signPacket(c1, 1, FP_KEY_PARTIAL);
    }
    this.state = 's0';
    return Buffer.concat([Buffer.of(RTMP_VERSION), c1]);
  }

  /** Feed S0+S1+S2 as they arrive, in any split. C2 is returned once S1 is in (spec 5.2.1). */
  feed(chunk: Buffer): HandshakeStep {
    if (this.state === 'new') throw new Error('ClientHandshake.feed() called before start()');
    if (this.state === 'done' || this.state === 'failed') {
      throw new Error(`ClientHandshake.feed() called after the handshake ${this.state === 'done' ? 'completed' : 'failed'}`);
    }
    const send: Buffer[] = [];
    let off = 0;
    try {
      while (off < chunk.length && this.state !== 'done') {
        if (this.state === 's0') {
          checkVersionByte(chunk[off++]);
          this.state = 's1';
        } else if (this.state === 's1') {
          off = this.s1.take(chunk, off);
          if (this.s1.full) {
            send.push(this.c2For(this.s1.bytes));
            this.state = 's2';
          }
        } else {
          off = this.s2.take(chunk, off);
          if (this.s2.full) {
            if (this.serverSigned && this.ownDigest) {
              this.digestValid = verifyResponse(this.s2.bytes, this.ownDigest, FMS_KEY);
            }
            this.state = 'done';
          }
        }
      }
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    const done = this.state === 'done';
    return { send, done, rest: done && off < chunk.length ? chunk.subarray(off) : EMPTY };
  }

  private c2For(s1: Buffer): Buffer {
    if (this.digest && s1.readUInt32BE(4) !== 0) {
      const found = findDigest(s1, FMS_KEY_PARTIAL);
      if (found) {
        this.serverSigned = true;
        const c2 = Buffer.alloc(PACKET_SIZE);
        randomFrom(this.random, PACKET_SIZE - 32).copy(c2, 0);
        signResponse(c2, found.digest, FP_KEY);
        return c2;
      }
      this.digestValid = false;
    }
    return echoPacket(s1, this.now());
  }
}
