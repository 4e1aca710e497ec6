import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite file. WAL lets HTTP readers run while
 * the recorder writes; synchronous=NORMAL is durable across process crashes
 * in WAL mode and only risks the last transactions on power loss, which the
 * segment files on disk would not survive either.
 */
export function openDatabase(file: string): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Wait rather than fail when another connection (sqlite3 CLI, backup) holds the lock, but
    // briefly: better-sqlite3 waits synchronously, and a wait stalls every camera's ingest, live
    // view and the API with it (5 s did: test/faults/database-locked.test.ts). Writers that
    // must not lose anything keep the write and retry (src/recording/index-writer.ts).
    db.pragma('busy_timeout = 100');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
