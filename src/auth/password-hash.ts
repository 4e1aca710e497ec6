/**
 * Password hashes in one self-describing text format,
 * `scrypt$N$r$p$<salt base64>$<hash base64>` (RFC 7914 parameters), so a
 * config file says how its hashes were made and stronger parameters can be
 * adopted later without breaking old ones.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two */
  N: number;
  /** block size */
  r: number;
  /** parallelism */
  p: number;
}

export interface PasswordHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** 2^15 x 8 x 128 B = 32 MiB per hash and ~50-100 ms here: slow for a guesser, fine for a login. */
export const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds for parsed hashes: a hostile or mistyped config must not make one login cost gigabytes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Why a hash string is not usable; the config schema shows it next to the key. */
export class PasswordHashFormatError extends Error {}

/** Parses `scrypt$N$r$p$salt$hash`, checking every field's bounds. */
export function parsePasswordHash(text: string): PasswordHash {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new PasswordHashFormatError('expected scrypt$N$r$p$salt$hash (make one with `npm run hash-password`)');
  }
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,10}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(N >= 1024 && N <= 2 ** 20 && (N & (N - 1)) === 0)) throw new PasswordHashFormatError(`N must be a power of two from 1024 to 1048576, got ${parts[1]}`);
  if (!(r >= 1 && r <= 32)) throw new PasswordHashFormatError(`r must be 1-32, got ${parts[2]}`);
  if (!(p >= 1 && p <= 16)) throw new PasswordHashFormatError(`p must be 1-16, got ${parts[3]}`);
  if (memoryBytes({ N, r, p }) > MAX_MEMORY_BYTES) throw new PasswordHashFormatError(`N x r needs over ${MAX_MEMORY_BYTES >> 20} MiB per hash`);
  const salt = base64(parts[4]!, 'salt');
  const hash = base64(parts[5]!, 'hash');
  if (salt.length < 8 || salt.length > 64) throw new PasswordHashFormatError(`salt must be 8-64 bytes, got ${salt.length}`);
  if (hash.length < 16 || hash.length > 64) throw new PasswordHashFormatError(`hash must be 16-64 bytes, got ${hash.length}`);
  return { N, r, p, salt, hash };
}

export function formatPasswordHash(h: PasswordHash): string {
  return `scrypt$${h.N}$${h.r}$${h.p}$${h.salt.toString('base64')}$${h.hash.toString('base64')}`;
}

/** A new hash of `password` with a random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  return formatPasswordHash({ ...params, salt, hash });
}

/** True when `password` matches; the comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const got = await derive(password, stored.salt, stored.hash.length, stored);
  return timingSafeEqual(got, stored.hash);
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  // node's default maxmem (32 MiB) is exactly the default cost; leave headroom.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: memoryBytes(params) * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function memoryBytes(p: ScryptParams): number {
  return 128 * p.N * p.r;
}

function base64(s: string, what: string): Buffer {
  if (!B64.test(s)) throw new PasswordHashFormatError(`${what} is not base64`);
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
}
