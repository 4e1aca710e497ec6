import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { PublishSessions } from '../../src/storage/publish-sessions.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-sessions-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function repo(name: string): PublishSessions {
  const db = openDatabase(join(dir, name));
  migrate(db);
  after(() => db.close());
  return new PublishSessions(db);
}

test('start then end records the whole session; a second end changes nothing', () => {
  const sessions = repo('a.sqlite');
  const id = sessions.start({ cameraId: 'cam1', peer: '192.0.2.7:50123', client: 'FMLE/3.0 (compatible; Lavf61.7.100)', startedAt: 1000 });
  assert.deepEqual(sessions.get(id), {
    id,
    cameraId: 'cam1',
    peer: '192.0.2.7:50123',
    client: 'FMLE/3.0 (compatible; Lavf61.7.100)',
    startedAt: 1000,
    endedAt: null,
    endReason: null,
    bytesIn: 0,
  });
  assert.equal(sessions.end(id, { endedAt: 5000, reason: 'closed', bytesIn: 123456 }), true);
  assert.equal(sessions.end(id, { endedAt: 9000, reason: 'shutdown', bytesIn: 1 }), false);
  assert.deepEqual(
    { ...sessions.get(id), id: 0 },
    { id: 0, cameraId: 'cam1', peer: '192.0.2.7:50123', client: 'FMLE/3.0 (compatible; Lavf61.7.100)', startedAt: 1000, endedAt: 5000, endReason: 'closed', bytesIn: 123456 },
  );
  assert.equal(sessions.end(424242, { endedAt: 1, reason: 'closed', bytesIn: 0 }), false);
});

test('closeDangling ends only open rows, never before they started', () => {
  const sessions = repo('b.sqlite');
  const done = sessions.start({ cameraId: 'cam1', peer: 'p', client: null, startedAt: 100 });
  sessions.end(done, { endedAt: 200, reason: 'closed', bytesIn: 10 });
  const open = sessions.start({ cameraId: 'cam2', peer: 'p', client: null, startedAt: 300 });
  const future = sessions.start({ cameraId: 'cam2', peer: 'p', client: null, startedAt: 9000 }); // clock stepped back since
  assert.equal(sessions.closeDangling(1000), 2);
  assert.equal(sessions.get(done)?.endReason, 'closed');
  assert.deepEqual([sessions.get(open)?.endedAt, sessions.get(open)?.endReason], [1000, 'crash-recovered']);
  assert.equal(sessions.get(future)?.endedAt, 9000);
  assert.equal(sessions.closeDangling(2000), 0);
});
