/**
 * The digest ("complex") RTMP handshake. Not in the RTMP 1.0 spec: Flash
 * Player and Flash Media Server put an HMAC-SHA256 digest inside the random
 * part of C1/S1 (spec 5.2.3), and sign C2/S2 (spec 5.2.4) with a key derived
 * from the peer's digest. Flash-era players, FMLE, ffmpeg and many cameras
 * send it; a server that answers plainly is rejected by some of them.
 *
 * Packets here are the 1536-byte C1/S1/C2/S2 bodies, without C0/S0.
 */
import { createHmac } from 'node:crypto';

export const PACKET_SIZE = 1536;
export const DIGEST_SIZE = 32;

/** 32 fixed bytes appended to both public ASCII keys (well-known constant). */
const KEY_TAIL = Buffer.from(
  'f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae',
  'hex',
);

/** Full server key (68 bytes): signs S2. Its ASCII part (36) signs S1. */
export const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001', 'ascii'), KEY_TAIL]);
export const FMS_KEY_PARTIAL = FMS_KEY.subarray(0, 36);

/** Full player key (62 bytes): signs C2. Its ASCII part (30) signs C1. */
export const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'ascii'), KEY_TAIL]);
export const FP_KEY_PARTIAL = FP_KEY.subarray(0, 30);

/**
 * Where the digest sits. After time(4)+version(4) the packet is two 764-byte
 * blocks; the digest block holds 4 offset bytes, then the digest somewhere
 * in the next 728 bytes. Schema 1 puts the digest block first (offset bytes
 * at 8..11), schema 0 second (offset bytes at 772..775).
 */
export type DigestSchema = 0 | 1;

export function digestOffset(packet: Buffer, schema: DigestSchema): number {
  const at = schema === 1 ? 8 : 772;
  const sum = packet[at] + packet[at + 1] + packet[at + 2] + packet[at + 3];
  return (sum % 728) + at + 4;
}

export function hmacSha256(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** HMAC over the packet with the 32 digest bytes at `offset` left out. */
function packetDigest(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmacSha256(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_SIZE));
}

export interface FoundDigest {
  schema: DigestSchema;
  digest: Buffer;
}

/**
 * Finds a valid C1/S1 digest signed with `key` (a partial key). Schema 1 is
 * tried first: it is what ffmpeg and most encoders use.
 */
export function findDigest(packet: Buffer, key: Buffer): FoundDigest | undefined {
  for (const schema of [1, 0] as const) {
    const offset = digestOffset(packet, schema);
    const expected = packetDigest(packet, offset, key);
    const actual = packet.subarray(offset, offset + DIGEST_SIZE);
    if (expected.equals(actual)) return { schema, digest: Buffer.from(actual) };
  }
  return undefined;
}

/** Writes a digest into a C1/S1 packet in place (its offset bytes already random); returns it. */
export function signPacket(packet: Buffer, schema: DigestSchema, key: Buffer): Buffer {
  const offset = digestOffset(packet, schema);
  const digest = packetDigest(packet, offset, key);
  digest.copy(packet, offset);
  return digest;
}

/** Key for the C2/S2 signature: HMAC(full key of the signer, digest of the peer's C1/S1). */
function responseKey(peerDigest: Buffer, fullKey: Buffer): Buffer {
  return hmacSha256(fullKey, peerDigest);
}

/** Signs a C2/S2 packet in place: last 32 bytes = HMAC over the first 1504. */
export function signResponse(packet: Buffer, peerDigest: Buffer, fullKey: Buffer): void {
  const end = PACKET_SIZE - DIGEST_SIZE;
  hmacSha256(responseKey(peerDigest, fullKey), packet.subarray(0, end)).copy(packet, end);
}

/** Checks a C2/S2 signed over `ownDigest` (the digest we sent in our C1/S1). */
export function verifyResponse(packet: Buffer, ownDigest: Buffer, fullKey: Buffer): boolean {
  const end = PACKET_SIZE - DIGEST_SIZE;
  const expected = hmacSha256(responseKey(ownDigest, fullKey), packet.subarray(0, end));
  return expected.equals(packet.subarray(end, PACKET_SIZE));
}
