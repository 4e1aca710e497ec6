import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { SessionStore } from '../../src/auth/session-store.js';
import { startStorage } from '../../src/storage/storage.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-sessions-'));
const storage = startStorage(dir, pino({ level: 'silent' }));
after(async () => {
  await storage.stop();
  rmSync(dir, { recursive: true, force: true });
});
const MIN = 60_000;
let now = 1_700_000_000_000;
const store = new SessionStore(storage.db, { idleMs: 30 * MIN, maxMs: 120 * MIN }, () => now);

test('only a digest of the cookie value is stored', () => {
  const { id } = store.create('alice');
  const rows = storage.db.prepare('SELECT hex(id_hash) AS h FROM sessions').all() as { h: string }[];
  assert.ok(rows.length >= 1);
  for (const r of rows) assert.ok(!r.h.includes(Buffer.from(id).toString('hex').toUpperCase()) && r.h.length === 64);
});

test('sliding expiry: each use (at most one write a minute) extends the idle timeout, up to the maximum life', () => {
  const { id, session } = store.create('bob');
  assert.equal(session.expiresAt, now + 30 * MIN);
  for (let i = 0; i < 3; i++) {
    now += 25 * MIN;
    assert.equal(store.use(id)?.userName, 'bob', `use ${i}`);
  }
  now += 25 * MIN; // 100 min since login, 25 since the last use
  assert.equal(store.use(id)?.expiresAt, session.createdAt + 120 * MIN, 'capped at the maximum life');
  now += 21 * MIN;
  assert.equal(store.use(id), undefined, 'past the maximum life');
});

test('an idle session ends; unknown and malformed ids are nobody; delete logs out', () => {
  const a = store.create('carol');
  now += 31 * MIN;
  assert.equal(store.use(a.id), undefined);
  assert.equal(store.use('x'.repeat(43)), undefined);
  assert.equal(store.use('not a session id'), undefined);
  const b = store.create('carol');
  assert.equal(store.use(b.id)?.csrfToken, b.session.csrfToken);
  store.delete(b.id);
  assert.equal(store.use(b.id), undefined);
});

test('sweep removes expired rows; a user keeps at most 50 sessions', () => {
  now += 200 * MIN;
  store.sweep();
  assert.equal((storage.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n, 0);
  const ids = Array.from({ length: 60 }, () => {
    now += 1;
    return store.create('dave').id;
  });
  assert.equal((storage.db.prepare("SELECT count(*) AS n FROM sessions WHERE user_name = 'dave'").get() as { n: number }).n, 50);
  assert.equal(store.use(ids[0]!), undefined, 'the oldest went');
  assert.ok(store.use(ids[59]!));
});
