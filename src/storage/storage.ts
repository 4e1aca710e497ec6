import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { openDatabase, type Db } from './db.js';
import { migrate } from './migrate.js';
import { PublishSessions } from './publish-sessions.js';
import { Segments } from './segments.js';

export interface Storage {
  db: Db;
  file: string;
  publishSessions: PublishSessions;
  segments: Segments;
  stop(): Promise<void>;
}

export const DB_FILE_NAME = 'nvr.sqlite';

/** The storage module: open <dataDir>/nvr.sqlite, migrate, recover after a crash. */
export function startStorage(dataDir: string, logger: Logger, now: () => number = Date.now): Storage {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, DB_FILE_NAME);
  const db = openDatabase(file);
  try {
    const { applied, version } = migrate(db, { now });
    for (const m of applied) logger.info({ version: m.version, name: m.name }, 'applied migration');
    const publishSessions = new PublishSessions(db);
    const recovered = publishSessions.closeDangling(now());
    if (recovered > 0) logger.warn({ count: recovered }, 'closed publish sessions left open by a crash');
    logger.debug({ file, schemaVersion: version }, 'database open');
    return {
      db,
      file,
      publishSessions,
      segments: new Segments(db),
      async stop() {
        if (db.open) db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
