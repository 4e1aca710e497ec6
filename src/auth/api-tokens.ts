/**
 * API tokens from the config. Compared as SHA-256 digests with
 * timingSafeEqual, against every configured token: neither the position of
 * the first wrong byte nor which token matched shows in the time taken.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles.js';

export interface ApiTokenConfig {
  name: string;
  token: string;
  role: Role;
}

export interface TokenMatch {
  name: string;
  role: Role;
}

/** Longer is not a token we issued; refusing it early bounds the hashing work. */
const MAX_TOKEN_LENGTH = 512;

export class ApiTokens {
  private readonly entries: { digest: Buffer; name: string; role: Role }[];

  constructor(tokens: readonly ApiTokenConfig[]) {
    this.entries = tokens.map((t) => ({ digest: sha256(t.token), name: t.name, role: t.role }));
  }

  get size(): number {
    return this.entries.length;
  }

  match(presented: string): TokenMatch | undefined {
    if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return undefined;
    const d = sha256(presented);
    let found: TokenMatch | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest) && !found) found = { name: e.name, role: e.role };
    }
    return found;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
