-- 0004: cameras added, edited or deleted at runtime through the API
-- (src/cameras/). The effective camera list is the config file's cameras[]
-- overlaid by these rows: a row takes precedence over the config entry of the
-- same id, so an edit made in the UI survives a restart whatever the file says.

CREATE TABLE cameras (
  id          TEXT    PRIMARY KEY,   -- camera id, [a-z0-9][a-z0-9_-]{0,63}; the stream name in the publish URL
  settings    TEXT,                  -- JSON of the whole camera as the config schema's cameras[] entry (config/schema.ts cameraSchema), validated again on load; NULL: a tombstone, a config camera deleted through the API that stays deleted
  created_at  INTEGER NOT NULL,      -- ms UTC the row was first written; cameras not in the config file are listed in this order, after the config's
  updated_at  INTEGER NOT NULL,      -- ms UTC of the last change to the row
  CHECK (settings IS NULL OR json_valid(settings))
) STRICT;
