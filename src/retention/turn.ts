/** A turn of the event loop for ingest between two pieces of synchronous work (SQLite reads, a delete transaction). */
export function turn(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}
