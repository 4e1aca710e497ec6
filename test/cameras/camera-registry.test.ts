import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { CameraError } from '../../src/cameras/camera-input.js';
import { CameraRegistry, type CameraChange } from '../../src/cameras/camera-registry.js';
import { CameraStore } from '../../src/cameras/camera-store.js';
import { cameraSchema, STREAM_KEY_PATTERN, type CameraConfig } from '../../src/config/schema.js';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-cameras-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });

const configCams: CameraConfig[] = [cameraSchema.parse({ id: 'cam1', name: 'Front' }), cameraSchema.parse({ id: 'cam2', streamKey: 'k2' })];

let n = 0;
function newDb(): Db {
  const db = openDatabase(join(dir, `db${n++}.sqlite`));
  migrate(db);
  after(() => {
    if (db.open) db.close();
  });
  return db;
}

/** A registry on `db` with a clock that ticks 1 ms per call, and the changes it emits. */
function registry(db: Db, config: CameraConfig[] = configCams, maxCameras = 256) {
  let t = 1_000_000;
  const reg = new CameraRegistry({ config, store: new CameraStore(db), maxCameras, log, now: () => t++ });
  const changes: CameraChange[] = [];
  reg.subscribe((c) => changes.push(c));
  return { reg, changes };
}

const errorCode = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CameraError, String(err));
    return `${err.code}: ${err.message}`;
  }
  assert.fail('no error');
};

test('config cameras are the list until the API changes it; API cameras come after them in creation order', () => {
  const { reg } = registry(newDb());
  assert.deepEqual(
    reg.list().map((c) => [c.id, c.source]),
    [
      ['cam1', 'config'],
      ['cam2', 'config'],
    ],
  );
  reg.add({ id: 'zz', streamKey: null });
  reg.add({ id: 'aa', streamKey: null });
  assert.deepEqual(reg.ids(), ['cam1', 'cam2', 'zz', 'aa']);
  assert.equal(reg.get('aa')!.source, 'api');
  assert.equal(reg.get('aa')!.name, 'aa');
  assert.equal(reg.get('aa')!.recording.segmentSeconds, 60, 'schema defaults apply');
});

test('add generates a URL-safe stream key unless one is given or null asks for none', () => {
  const { reg } = registry(newDb());
  const a = reg.add({ id: 'a' });
  assert.match(a.streamKey!, STREAM_KEY_PATTERN);
  assert.ok(a.streamKey!.length >= 24);
  assert.notEqual(reg.add({ id: 'b' }).streamKey, a.streamKey);
  assert.equal(reg.add({ id: 'c', streamKey: 'mine' }).streamKey, 'mine');
  assert.equal(reg.add({ id: 'd', streamKey: null }).streamKey, undefined);
});

test('invalid input is refused with a message naming the field, and nothing is stored or emitted', () => {
  const db = newDb();
  const { reg, changes } = registry(db);
  assert.equal(errorCode(() => reg.add({ id: 'Bad Id' })), 'INVALID_CAMERA: id: "Bad Id" must match [a-z0-9][a-z0-9_-]{0,63}');
  assert.equal(errorCode(() => reg.add({ id: 'x', recording: { format: 'avi' } })), 'INVALID_CAMERA: recording.format: "avi" must be one of: flv, mp4');
  assert.equal(errorCode(() => reg.add({ id: 'x', recording: { segmentSeconds: 0 } })), 'INVALID_CAMERA: recording.segmentSeconds: must be >= 1, got 0');
  assert.match(errorCode(() => reg.add({ id: 'x', colour: 'red' })), /^INVALID_CAMERA: colour: unknown key \(known keys: id, name, streamKey/);
  assert.match(errorCode(() => reg.add({ id: 'x', streamKey: 'has space' })), /^INVALID_CAMERA: streamKey: "has space" must match/);
  assert.match(errorCode(() => reg.add({ id: 'x', motion: { zones: [{ name: 'z', points: [[0, 0], [2, 0], [1, 1]] }] } })), /^INVALID_CAMERA: motion\.zones\[0\]\.points\[1\]\[0\]: must be <= 1/);
  assert.match(errorCode(() => reg.add([1, 2])), /^INVALID_CAMERA: body: expected a JSON object/);
  assert.match(errorCode(() => reg.add(JSON.parse('{"id":"x","__proto__":{"polluted":1}}'))), /^INVALID_CAMERA: __proto__: unknown key/);
  assert.equal(errorCode(() => reg.add({ id: 'cam1' })), 'CAMERA_EXISTS: a camera with id "cam1" exists');
  assert.equal(changes.length, 0);
  assert.equal(new CameraStore(db).all().length, 0);
});

test('the camera count is capped at maxCameras, config cameras included', () => {
  const { reg } = registry(newDb(), configCams, 3);
  reg.add({ id: 'c3' });
  assert.match(errorCode(() => reg.add({ id: 'c4' })), /^TOO_MANY_CAMERAS: there are 3 cameras/);
  reg.remove('cam1');
  reg.add({ id: 'c4' });
});

test('patch merges objects one level deep, arrays replace, id is immutable, null resets name and key', () => {
  const { reg } = registry(newDb());
  reg.add({ id: 'p', name: 'Porch', streamKey: 'k', motion: { sensitivity: 70, zones: [{ name: 'a', points: [[0, 0], [1, 0], [1, 1]] }] } });
  const c = reg.update('p', { recording: { format: 'mp4' }, motion: { zones: [{ name: 'b', points: [[0, 0], [0.5, 0], [0.5, 0.5]] }] } });
  assert.equal(c.recording.format, 'mp4');
  assert.equal(c.recording.segmentSeconds, 60, 'other recording keys kept');
  assert.equal(c.motion.sensitivity, 70, 'other motion keys kept');
  assert.deepEqual(
    c.motion.zones.map((z) => z.name),
    ['b'],
  );
  assert.equal(c.name, 'Porch');
  const reset = reg.update('p', { name: null, streamKey: null, id: 'p', source: 'api', publish: { url: 'ignored' } });
  assert.equal(reset.name, 'p');
  assert.equal(reset.streamKey, undefined);
  assert.match(errorCode(() => reg.update('p', { id: 'q' })), /^INVALID_CAMERA: id: cannot be changed/);
  assert.match(errorCode(() => reg.update('p', { retention: { days: 0 } })), /^INVALID_CAMERA: retention\.days: must be >= 1, got 0/);
  assert.equal(reg.get('p')!.retention.days, 14, 'a refused patch changes nothing');
  assert.match(errorCode(() => reg.update('nope', {})), /^CAMERA_NOT_FOUND/);
  assert.match(errorCode(() => reg.remove('nope')), /^CAMERA_NOT_FOUND/);
});

test('changes are emitted synchronously, in order, with old and new; a throwing listener does not stop the others', () => {
  const { reg, changes } = registry(newDb());
  const seen: string[] = [];
  reg.subscribe(() => {
    throw new Error('boom');
  });
  reg.subscribe((c) => seen.push(`${c.type}:${c.camera.id}`));
  reg.add({ id: 'e1' });
  assert.deepEqual(seen, ['added:e1'], 'heard before add() returned');
  reg.update('e1', { name: 'E' });
  reg.update('cam1', { recording: { segmentSeconds: 10 } });
  reg.remove('e1');
  reg.remove('cam2');
  assert.deepEqual(
    changes.map((c) => `${c.type}:${c.camera.id}`),
    ['added:e1', 'updated:e1', 'updated:cam1', 'removed:e1', 'removed:cam2'],
  );
  const upd = changes[2]!;
  assert.ok(upd.type === 'updated');
  assert.equal(upd.old.recording.segmentSeconds, 60);
  assert.equal(upd.camera.recording.segmentSeconds, 10);
  assert.equal(upd.camera.source, 'config');
  assert.deepEqual(seen, ['added:e1', 'updated:e1', 'updated:cam1', 'removed:e1', 'removed:cam2']);
});

test('a patch that changes nothing stores and emits nothing: the config camera stays the file\'s', () => {
  const db = newDb();
  const { reg, changes } = registry(db);
  assert.equal(reg.update('cam1', {}), reg.get('cam1'));
  reg.update('cam1', { name: 'Front', recording: { format: 'flv', segmentSeconds: 60 }, motion: { zones: [] } });
  assert.equal(changes.length, 0);
  assert.equal(new CameraStore(db).all().length, 0);
  reg.update('cam1', { name: 'Front 2' });
  assert.equal(changes.length, 1);
});

test('persistence: edits override the config entry, tombstones keep config cameras deleted, API cameras come back', () => {
  const db = newDb();
  const first = registry(db).reg;
  first.add({ id: 'api1', streamKey: 'a1', recording: { format: 'mp4' } });
  first.add({ id: 'api2', streamKey: null });
  first.update('cam1', { name: 'Front edited', motion: { enabled: false } });
  first.remove('cam2');
  first.remove('api2');

  // a restart: the config file still says what it said
  const { reg } = registry(db);
  assert.deepEqual(
    reg.list().map((c) => [c.id, c.source, c.name]),
    [
      ['cam1', 'config', 'Front edited'],
      ['api1', 'api', 'api1'],
    ],
  );
  assert.equal(reg.get('cam1')!.motion.enabled, false);
  assert.equal(reg.get('api1')!.recording.format, 'mp4');
  assert.equal(reg.get('api1')!.streamKey, 'a1');
  assert.deepEqual(
    new CameraStore(db).all().map((r) => [r.id, r.settings === null]),
    [
      ['api1', false],
      ['cam1', false],
      ['cam2', true],
    ],
  );

  // the config file changing the edited camera does not undo the edit; a deleted config camera re-added comes back from the API's settings
  const changedConfig = [cameraSchema.parse({ id: 'cam1', name: 'From file' }), configCams[1]!];
  const again = registry(db, changedConfig).reg;
  assert.equal(again.get('cam1')!.name, 'Front edited');
  assert.equal(again.get('cam2'), undefined);
  again.add({ id: 'cam2', streamKey: 'new' });
  const third = registry(db, changedConfig).reg;
  assert.deepEqual(third.ids(), ['cam1', 'cam2', 'api1'], 'config order for config ids');
  assert.equal(third.get('cam2')!.streamKey, 'new');
});

test('a stored row that no longer validates is skipped with an error; the config entry stands', () => {
  const db = newDb();
  db.prepare("INSERT INTO cameras (id, settings, created_at, updated_at) VALUES ('cam1', '{\"id\":\"cam1\",\"recording\":{\"format\":\"avi\"}}', 1, 1)").run();
  db.prepare("INSERT INTO cameras (id, settings, created_at, updated_at) VALUES ('ghost', '{\"id\":\"other\"}', 2, 2)").run();
  const lines: Record<string, unknown>[] = [];
  const reg = new CameraRegistry({
    config: configCams,
    store: new CameraStore(db),
    maxCameras: 256,
    log: pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) }),
  });
  assert.deepEqual(reg.ids(), ['cam1', 'cam2']);
  assert.equal(reg.get('cam1')!.name, 'Front');
  assert.deepEqual(
    lines.map((l) => l.camera),
    ['cam1', 'ghost'],
  );
  assert.match(String(lines[0]!.err), /recording\.format/);
});
