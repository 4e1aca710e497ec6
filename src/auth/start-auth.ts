/**
 * The auth module: users (config or stored), API tokens, sessions in SQLite,
 * login limits; on a first start with no users, the admin with a random
 * password, announced once.
 */
import type { AuthConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Db } from '../storage/db.js';
import { ApiTokens } from './api-tokens.js';
import { LoginLimiter } from './login-limiter.js';
import { SessionStore } from './session-store.js';
import { Users } from './users.js';

export interface Auth {
  readonly enabled: boolean;
  /** believe X-Forwarded-* (client address, https) from a reverse proxy */
  readonly trustProxy: boolean;
  readonly users: Users;
  readonly tokens: ApiTokens;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  /** the cookie's Max-Age: the sessions' maximum life */
  readonly sessionMaxAgeSeconds: number;
  readonly now: () => number;
  stop(): void;
}

export interface StartAuthOptions {
  config: AuthConfig;
  db: Db;
  log: Logger;
  now?: () => number;
  /** where the first-start password is written besides the log (default: stderr) */
  announce?: (text: string) => void;
}

const SWEEP_EVERY_MS = 60 * 60_000;

export async function startAuth(opts: StartAuthOptions): Promise<Auth> {
  const { config, db, log } = opts;
  const now = opts.now ?? Date.now;
  const users = new Users(db, config.users, now);
  const sessions = new SessionStore(db, { idleMs: config.session.idleMinutes * 60_000, maxMs: Math.round(config.session.maxDays * 86_400_000) }, now);
  const limiter = new LoginLimiter({
    maxFailures: config.loginLimit.maxFailures,
    windowMs: config.loginLimit.windowSeconds * 1000,
    maxBlockMs: config.loginLimit.maxBlockSeconds * 1000,
  });

  if (!config.enabled) {
    log.warn('access control is off (auth.enabled: false): anyone who can reach the HTTP port can watch, export and change everything');
  } else {
    const first = await users.createFirstAdmin();
    if (first) announceFirstAdmin(first, log, opts.announce ?? ((t) => void process.stderr.write(t)));
    const stored = users.storedCount();
    if (users.source === 'config' && stored > 0) log.info({ ignored: stored }, 'auth.users is set: users stored in the database (the first-start admin) cannot log in');
    log.info({ users: users.source, apiTokens: config.apiTokens.length }, 'access control on');
  }

  const swept = sessions.sweep();
  if (swept > 0) log.debug({ sessions: swept }, 'expired sessions removed');
  const timer = setInterval(() => sessions.sweep(), SWEEP_EVERY_MS);
  timer.unref();

  return {
    enabled: config.enabled,
    trustProxy: config.trustProxy,
    users,
    tokens: new ApiTokens(config.apiTokens),
    sessions,
    limiter,
    sessionMaxAgeSeconds: Math.floor(Math.min(config.session.maxDays * 86_400, 400 * 86_400)),
    now,
    stop: () => clearInterval(timer),
  };
}

/** The only time the password is ever shown: the log line and plain text for whoever watches the terminal. */
function announceFirstAdmin(user: { name: string; password: string }, log: Logger, announce: (text: string) => void): void {
  const howToChange = 'change it with POST /api/auth/password once logged in, or list users with hashes from `npm run hash-password` under auth.users in your config (config users replace the stored admin)';
  log.warn({ user: user.name, howToChange }, `first start: created user "${user.name}" with password ${user.password} (shown only this once; ${howToChange})`);
  announce(
    [
      '',
      '================================================================',
      ` First start: created the NVR user "${user.name}" with password`,
      '',
      `     ${user.password}`,
      '',
      ' It is shown only this once: write it down now.',
      ' To change it: log in, then POST /api/auth/password; or make a',
      ' hash with `npm run hash-password` and list your users under',
      ' auth.users in the config file (see README, "Security").',
      '================================================================',
      '',
    ].join('\n') + '\n',
  );
}
