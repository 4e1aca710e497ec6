-- 0003: motion: a thumbnail per keyframe interval, and motion events
-- (src/motion/DESIGN.md). Times are integer ms since the Unix epoch, UTC, on
-- the same wall clock as segments.

-- Small JPEGs of decoded keyframes, so a timeline can show what was there
-- without opening a recording. A rowid table: the JPEG bytes stay out of the
-- index pages, which hold only (camera, time).
CREATE TABLE thumbnails (
  id          INTEGER PRIMARY KEY,   -- rowid
  camera_id   TEXT    NOT NULL,      -- config cameras[].id
  at_ms       INTEGER NOT NULL,      -- wall clock of the decoded keyframe, ms UTC
  width       INTEGER NOT NULL CHECK (width > 0),   -- JPEG width in pixels (motion.thumbnailWidth or the picture's, if smaller)
  height      INTEGER NOT NULL CHECK (height > 0),  -- JPEG height in pixels, the picture's aspect
  jpeg        BLOB    NOT NULL       -- the JPEG file, typically 5-20 KB
) STRICT;

-- "Nearest to T" is one probe each way; also bounds retention's deletes.
CREATE UNIQUE INDEX thumbnails_camera_at ON thumbnails (camera_id, at_ms);

-- One row per motion event, written when it starts (end_ms NULL), updated as
-- its peak grows, finalised when it ends. Start-up closes rows a crash left open.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,   -- rowid; the event's id in the API
  camera_id   TEXT    NOT NULL,      -- config cameras[].id
  type        TEXT    NOT NULL DEFAULT 'motion' CHECK (type IN ('motion')), -- room for other detectors
  start_ms    INTEGER NOT NULL,      -- wall clock of the first analysed frame with motion, ms UTC
  end_ms      INTEGER,               -- wall clock of the last analysed frame with motion; NULL while ongoing
  peak_score  REAL    NOT NULL CHECK (peak_score >= 0 AND peak_score <= 100), -- highest share of the watched area in motion, percent
  peak_ms     INTEGER NOT NULL,      -- when that peak was: the snapshot's time
  zones       TEXT    NOT NULL DEFAULT '[]', -- JSON array of the names of zones that saw motion during the event
  snapshot    BLOB,                  -- JPEG of the peak frame; NULL if it could not be encoded
  end_reason  TEXT                   -- quiet, max-length, publish-ended, decoder-lost, shutdown, crash-recovered; NULL while ongoing
) STRICT;

-- Listings by time, all cameras or one: WHERE start_ms >= :from - max event length AND start_ms < :to.
CREATE INDEX events_start ON events (start_ms);
CREATE INDEX events_camera_start ON events (camera_id, start_ms, end_ms);
-- Start-up recovery looks for rows left open.
CREATE INDEX events_open ON events (id) WHERE end_ms IS NULL;
