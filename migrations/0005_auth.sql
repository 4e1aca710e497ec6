-- 0005: access control (src/auth/). Times are integer ms since the Unix
-- epoch, UTC.

-- Users the NVR created itself: the first-start admin when the config lists
-- no users. Users written in the config file (auth.users) are never stored:
-- they are read from the file at each start.
CREATE TABLE users (
  name           TEXT    PRIMARY KEY,  -- login name, [A-Za-z0-9._@-]{1,64}
  password_hash  TEXT    NOT NULL,     -- scrypt$N$r$p$<salt b64>$<hash b64> (src/auth/password-hash.ts); never the password
  role           TEXT    NOT NULL CHECK (role IN ('viewer', 'admin')),
  created_at     INTEGER NOT NULL,     -- ms UTC
  updated_at     INTEGER NOT NULL      -- ms UTC of the last password change
) STRICT;

-- Browser sessions, so a login survives a restart. Only a SHA-256 digest of
-- the cookie value is kept: a copy of this file does not let anyone in.
CREATE TABLE sessions (
  id_hash       BLOB    PRIMARY KEY,   -- SHA-256 of the nvr_session cookie value (32 bytes)
  user_name     TEXT    NOT NULL,      -- a config or stored user; checked against the current users at each request
  csrf_token    TEXT    NOT NULL,      -- synchronizer token the UI sends as X-CSRF-Token on changes
  created_at    INTEGER NOT NULL,      -- ms UTC of the login; bounds the session's whole life (auth.session.maxDays)
  last_seen_at  INTEGER NOT NULL,      -- ms UTC of the latest use, updated at most once a minute
  expires_at    INTEGER NOT NULL       -- ms UTC: min(last_seen_at + idle timeout, created_at + max life)
) STRICT, WITHOUT ROWID;

-- Expired sessions are swept by this; a user's sessions are capped through the other.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_name, last_seen_at);
