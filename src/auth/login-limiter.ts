/**
 * Failed-login limits per key (a client address, a user name). After
 * `maxFailures` failures within `windowMs`, the key is blocked for
 * `windowMs`, doubling with each further block up to `maxBlockMs`; a quiet
 * `maxBlockMs` forgets the escalation. Pure: time comes in as an argument.
 */

export interface LoginLimits {
  maxFailures: number;
  windowMs: number;
  maxBlockMs: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
  /** blocks so far: each one doubles the next */
  strikes: number;
  lastFailure: number;
}

/** Entries kept at most: a flood of made-up user names must not grow memory without bound. */
const MAX_ENTRIES = 10_000;

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: LoginLimits) {}

  /** ms until every key may try again; 0 when none is blocked. */
  retryAfterMs(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.blockedUntil > now) wait = Math.max(wait, e.blockedUntil - now);
    }
    return wait;
  }

  fail(keys: readonly string[], now: number): void {
    for (const k of keys) {
      let e = this.entries.get(k);
      if (e && now - e.lastFailure >= this.limits.maxBlockMs && e.blockedUntil <= now) e.strikes = 0;
      if (!e) {
        e = { windowStart: now, failures: 0, blockedUntil: 0, strikes: 0, lastFailure: now };
        this.insert(k, e);
      }
      if (now - e.windowStart >= this.limits.windowMs) {
        e.windowStart = now;
        e.failures = 0;
      }
      e.failures++;
      e.lastFailure = now;
      if (e.failures >= this.limits.maxFailures) {
        e.blockedUntil = now + Math.min(this.limits.maxBlockMs, this.limits.windowMs * 2 ** Math.min(e.strikes, 30));
        e.strikes++;
        e.failures = 0;
        e.windowStart = now;
      }
    }
  }

  /** A correct password clears its user's record (not the address's: one good account must not reset a guesser's count). */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private insert(key: string, e: Entry): void {
    if (this.entries.size >= MAX_ENTRIES) {
      // Map order is insertion order: drop the oldest key not blocked now, else the oldest
      const now = e.lastFailure;
      let victim: string | undefined;
      for (const [k, v] of this.entries) {
        if (v.blockedUntil <= now) {
          victim = k;
          break;
        }
      }
      this.entries.delete(victim ?? this.entries.keys().next().value!);
    }
    this.entries.set(key, e);
  }
}
