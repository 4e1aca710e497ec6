-- 0002: recorded segments and their keyframe index (src/recording/TIME.md has the time design).

-- One row per segment file. Written when the file is opened (state 'open'),
-- updated every few seconds while it grows, finalised when it closes; start-up
-- recovery finalises rows left open by a crash from what is in the file.
CREATE TABLE segments (
  id          INTEGER PRIMARY KEY,   -- rowid; the segment's id in the API
  camera_id   TEXT    NOT NULL,      -- config cameras[].id
  start_ms    INTEGER NOT NULL,      -- wall clock of the first frame (a keyframe), ms since epoch UTC
  end_ms      INTEGER NOT NULL,      -- wall clock just after the last frame, ms UTC; while open, as of the last update
  bytes       INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),  -- file size that holds whole frames/fragments
  format      TEXT    NOT NULL CHECK (format IN ('flv', 'mp4')),
  path        TEXT    NOT NULL UNIQUE, -- relative to dataDir: recordings/<camera>/<YYYY-MM-DD>/<start>.<format>
  video_codec TEXT,                  -- RFC 6381 codec string (avc1.64001f, hvc1...), NULL for audio-only
  audio_codec TEXT,                  -- mp4a.40.2, alaw, ulaw..., NULL without audio
  width       INTEGER,               -- coded picture size from the SPS, NULL without video
  height      INTEGER,
  state       TEXT    NOT NULL CHECK (state IN ('open', 'closed', 'missing')), -- 'missing': the file is gone; never served
  end_reason  TEXT,                  -- why it ended: duration, publish-ended, gap, timestamp-jump, drift, config-change, shutdown, write-error, crash-recovered; NULL while open
  frames      INTEGER NOT NULL DEFAULT 0, -- media frames (video and audio) in the file
  keyframes   BLOB                   -- keyframe index: varint pairs (ms since previous entry, bytes since previous entry), from (start_ms, 0); see src/recording/keyframe-index.ts
) STRICT;

-- Range queries per camera: WHERE camera_id = ? AND start_ms < :to AND start_ms >= :from - max segment length.
-- Covering (every column a listing returns), so a month of one camera's rows is one
-- sequential index scan rather than 43,200 lookups into a table shared by all cameras.
CREATE INDEX segments_camera_start ON segments (camera_id, start_ms, end_ms, bytes, state, format, end_reason, video_codec, audio_codec, width, height);
-- Start-up recovery looks for rows left open.
CREATE INDEX segments_open ON segments (state) WHERE state = 'open';
