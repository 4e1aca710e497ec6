-- 0001: publish sessions, so "who published what, from where, until when" is
-- answerable after the fact. Segment tables arrive in 0002 with recording.

-- One row per accepted RTMP publish, from the publish command to the end of
-- the connection. Times are integer milliseconds since the Unix epoch, UTC.
CREATE TABLE publish_sessions (
  id          INTEGER PRIMARY KEY,   -- rowid; what PublishSessions.start() returns
  camera_id   TEXT    NOT NULL,      -- config cameras[].id; not a foreign key, cameras live in the config file
  peer        TEXT    NOT NULL,      -- remote address of the publisher, "ip:port" ("[v6]:port" for IPv6)
  client      TEXT,                  -- the client's own name from connect (flashVer, e.g. "FMLE/3.0 (compatible; Lavf61.7.100)"); NULL if it sent none
  started_at  INTEGER NOT NULL,      -- ms UTC when publishing was accepted
  ended_at    INTEGER,               -- ms UTC when it ended; NULL while live (or until start-up recovers a crash)
  end_reason  TEXT,                  -- why it ended: e.g. 'closed', 'idle-timeout', 'replaced', 'shutdown', 'crash-recovered'; NULL while live
  bytes_in    INTEGER NOT NULL DEFAULT 0 CHECK (bytes_in >= 0)  -- bytes received on the connection, RTMP framing included
) STRICT;

-- Per-camera history, newest first, and "was cam1 live at time T".
CREATE INDEX publish_sessions_camera_started ON publish_sessions (camera_id, started_at);
