import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { Segments, type SegmentFormat } from '../../src/storage/segments.js';

const logger = createLogger('silent', { pretty: false });
const T0 = Date.parse('2026-11-25T12:00:00.000Z');
const NOW = T0 + 3_600_000;
const MIN = 60_000;

const tmp = mkdtempSync(join(tmpdir(), 'nvr-recordings-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A data dir with its database; segments get real files of patterned bytes. */
function dataDir(name: string): { dir: string; db: Db; segments: Segments } {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'nvr.sqlite'));
  migrate(db);
  after(() => db.close());
  return { dir, db, segments: new Segments(db) };
}

function content(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
}

interface Seg {
  cameraId: string;
  startMs: number;
  endMs: number;
  /** bytes the row records */
  bytes: number;
  /** bytes written to disk (a closed row may record fewer: trailing partial frame) */
  fileBytes?: number;
  format?: SegmentFormat;
  open?: boolean;
  path?: string;
}

function addSegment(d: { dir: string; segments: Segments }, s: Seg): number {
  const format = s.format ?? 'flv';
  const path = s.path ?? `recordings/${s.cameraId}/2026-11-25/${s.startMs}.${format}`;
  if (!s.path) {
    mkdirSync(dirname(join(d.dir, path)), { recursive: true });
    writeFileSync(join(d.dir, path), content(s.fileBytes ?? s.bytes));
  }
  const id = d.segments.open({ cameraId: s.cameraId, startMs: s.startMs, format, path, videoCodec: 'avc1.64001f', audioCodec: null, width: 1280, height: 720 });
  const progress = { endMs: s.endMs, bytes: s.bytes, frames: 10, keyframes: Buffer.alloc(0) };
  if (s.open) d.segments.progress([{ ...progress, id }]);
  else d.segments.close(id, { ...progress, reason: 'duration' });
  return id;
}

function server(d: { dir: string; segments: Segments }, cameraIds = ['front-door', 'yard']): HttpServer {
  return buildHttpServer({
    logger,
    cameras: { list: () => [] },
    version: 'test',
    now: () => NOW,
    recordings: { segments: d.segments, dataDir: d.dir, cameraIds: () => cameraIds },
  });
}

function assertError(res: LightMyRequestResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error), ['code', 'message']);
  assert.equal(body.error.code, code);
  if (message) assert.match(body.error.message, message);
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('recordings API', () => {
  const d = dataDir('main');
  // Set up while the suite is declared: nested suites may start before a parent's before() hook runs.
  const app = server(d);
  const ids: Record<string, number> = {};
  const get = (url: string, extra: Partial<InjectOptions> = {}) => app.inject({ method: 'GET', url, ...extra });

  after(() => app.close());
  {
    // s1, s2 contiguous; s3 after a gap; s4 still open; yard's overlaps but is another camera.
    ids.s1 = addSegment(d, { cameraId: 'front-door', startMs: T0, endMs: T0 + MIN, bytes: 100, fileBytes: 120 });
    ids.s2 = addSegment(d, { cameraId: 'front-door', startMs: T0 + MIN, endMs: T0 + 2 * MIN, bytes: 50 });
    ids.s3 = addSegment(d, { cameraId: 'front-door', startMs: T0 + 5 * MIN, endMs: T0 + 6 * MIN, bytes: 40, format: 'mp4' });
    ids.s4 = addSegment(d, { cameraId: 'front-door', startMs: T0 + 10 * MIN, endMs: T0 + 10 * MIN + 30_000, bytes: 50, fileBytes: 80, open: true });
    ids.yard = addSegment(d, { cameraId: 'yard', startMs: T0, endMs: T0 + 3 * MIN, bytes: 10 });
  }

  describe('GET /api/cameras/:id/segments', () => {
    test('lists segments overlapping the range at both edges, oldest first, in the full shape', async () => {
      const res = await get(`/api/cameras/front-door/segments?from=${iso(T0 + 30_000)}&to=${iso(T0 + 5 * MIN + 1)}`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const list = res.json() as Record<string, unknown>[];
      assert.deepEqual(
        list.map((s) => s.id),
        [ids.s1, ids.s2, ids.s3],
      );
      assert.deepEqual(list[0], {
        id: ids.s1,
        cameraId: 'front-door',
        start: new Date(T0).toISOString(),
        end: new Date(T0 + MIN).toISOString(),
        startMs: T0,
        endMs: T0 + MIN,
        bytes: 100,
        format: 'flv',
        url: `/api/segments/${ids.s1}/file`,
        open: false,
        videoCodec: 'avc1.64001f',
        audioCodec: null,
        width: 1280,
        height: 720,
        endReason: 'duration',
      });
      assert.equal(list[2]!.format, 'mp4');
    });

    test('the range is half-open: a segment ending at from or starting at to is left out', async () => {
      const res = await get(`/api/cameras/front-door/segments?from=${T0 + MIN}&to=${T0 + 5 * MIN}`);
      assert.deepEqual(
        (res.json() as { id: number }[]).map((s) => s.id),
        [ids.s2],
      );
    });

    test('epoch ms and ISO with an offset (even with its + unescaped) mean the same instant', async () => {
      const expected = (await get(`/api/cameras/front-door/segments?from=${T0}&to=${T0 + 90_000}`)).json();
      assert.equal((expected as unknown[]).length, 2);
      const offset = await get('/api/cameras/front-door/segments?from=2026-11-25T13:00:00%2B01:00&to=2026-11-25T07:01:30-05:00');
      assert.deepEqual(offset.json(), expected);
      const unescaped = await get('/api/cameras/front-door/segments?from=2026-11-25T13:00:00+01:00&to=2026-11-25T12:01:30.000Z');
      assert.deepEqual(unescaped.json(), expected);
    });

    test('without from/to: the 24 hours up to now, the open segment flagged', async () => {
      const list = (await get('/api/cameras/front-door/segments')).json() as { id: number; open: boolean; bytes: number }[];
      assert.deepEqual(
        list.map((s) => s.id),
        [ids.s1, ids.s2, ids.s3, ids.s4],
      );
      assert.deepEqual(list.map((s) => s.open), [false, false, false, true]);
      const empty = await get('/api/cameras/front-door/segments?from=&to=');
      assert.deepEqual(empty.json(), list);
    });

    test('only the asked camera', async () => {
      const list = (await get(`/api/cameras/yard/segments?from=${T0}&to=${NOW}`)).json() as { id: number }[];
      assert.deepEqual(
        list.map((s) => s.id),
        [ids.yard],
      );
    });

    test('unknown or malformed camera id: 404 CAMERA_NOT_FOUND', async () => {
      assertError(await get('/api/cameras/back-door/segments'), 404, 'CAMERA_NOT_FOUND', /back-door/);
      assertError(await get('/api/cameras/Front%20Door/segments'), 404, 'CAMERA_NOT_FOUND');
      assertError(await get('/api/cameras/back-door/timeline'), 404, 'CAMERA_NOT_FOUND');
    });
  });

  describe('bad time parameters', () => {
    const cases: { name: string; query: string; code: string; message: RegExp }[] = [
      { name: 'zone-less ISO', query: 'from=2026-11-25T12:00:00&to=2026-11-25T13:00:00Z', code: 'BAD_TIME', message: /^from: "2026-11-25T12:00:00" has no time zone.*ambiguous/ },
      { name: 'date only', query: 'to=2026-11-25', code: 'BAD_TIME', message: /^to: "2026-11-25" has no time of day or zone/ },
      { name: 'garbage', query: 'from=yesterday', code: 'BAD_TIME', message: /^from: "yesterday" is not a time; give ISO-8601/ },
      { name: 'impossible date', query: 'from=2026-02-30T00:00:00Z', code: 'BAD_TIME', message: /not a valid date/ },
      { name: 'epoch seconds', query: `from=${T0 / 1000}`, code: 'BAD_TIME', message: /epoch seconds/ },
      { name: 'year 1970', query: 'from=0', code: 'BAD_TIME', message: /outside 2000\.\.2200/ },
      { name: 'given twice', query: `from=${T0}&from=${T0}`, code: 'BAD_TIME', message: /^from: give it once/ },
      { name: 'from = to', query: `from=${T0}&to=${T0}`, code: 'BAD_RANGE', message: /must be before to/ },
      { name: 'from > to', query: `from=${T0 + 1}&to=${T0}`, code: 'BAD_RANGE', message: /must be before to/ },
      { name: 'from in the future, to defaulted', query: `from=${NOW + 1}`, code: 'BAD_RANGE', message: /must be before to/ },
      { name: 'over 31 days', query: `from=${T0 - 31 * 86_400_000 - 1}&to=${T0}`, code: 'RANGE_TOO_LARGE', message: /at most 31 days/ },
    ];
    for (const c of cases) {
      test(`${c.name}: 400 ${c.code}`, async () => {
        for (const what of ['segments', 'timeline']) {
          assertError(await get(`/api/cameras/front-door/${what}?${c.query}`), 400, c.code, c.message);
        }
      });
    }

    test('exactly 31 days is allowed', async () => {
      const res = await get(`/api/cameras/front-door/segments?from=${T0 - 31 * 86_400_000}&to=${T0}`);
      assert.equal(res.statusCode, 200);
    });
  });

  describe('GET /api/cameras/:id/timeline', () => {
    test('merges contiguous segments, keeps the gaps, clips to the range', async () => {
      const res = await get(`/api/cameras/front-door/timeline?from=${iso(T0 + 30_000)}&to=${iso(NOW)}`);
      assert.equal(res.statusCode, 200);
      const span = (s: number, e: number) => ({ start: iso(s), end: iso(e), startMs: s, endMs: e });
      assert.deepEqual(res.json(), [span(T0 + 30_000, T0 + 2 * MIN), span(T0 + 5 * MIN, T0 + 6 * MIN), span(T0 + 10 * MIN, T0 + 10 * MIN + 30_000)]);
    });

    test('no recordings: an empty list', async () => {
      const res = await get(`/api/cameras/front-door/timeline?from=${T0 - 86_400_000}&to=${T0}`);
      assert.deepEqual(res.json(), []);
    });
  });

  describe('GET /api/segments/:id/file', () => {
    const url = (id: number) => `/api/segments/${id}/file`;

    test('whole file: headers and the bytes the row vouches for', async () => {
      const res = await get(url(ids.s1!));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'video/x-flv');
      assert.equal(res.headers['accept-ranges'], 'bytes');
      assert.equal(res.headers['content-length'], '100'); // the file has 120; the last 20 are not whole frames
      assert.equal(res.headers.etag, `"${ids.s1}-100-${T0 + MIN}"`);
      assert.ok(!Number.isNaN(Date.parse(res.headers['last-modified'] as string)));
      assert.equal(res.headers['content-range'], undefined);
      assert.deepEqual(res.rawPayload, content(100));
    });

    test('mp4 segments are video/mp4', async () => {
      const res = await get(url(ids.s3!));
      assert.equal(res.headers['content-type'], 'video/mp4');
      assert.deepEqual(res.rawPayload, content(40));
    });

    const ranges: [string, number, string, number, number][] = [
      ['bytes=0-9', 206, 'bytes 0-9/100', 0, 10],
      ['bytes=10-', 206, 'bytes 10-99/100', 10, 100],
      ['bytes=-5', 206, 'bytes 95-99/100', 95, 100],
      ['bytes=90-500', 206, 'bytes 90-99/100', 90, 100],
    ];
    for (const [range, status, contentRange, from, to] of ranges) {
      test(`Range ${range}: ${status} ${contentRange}`, async () => {
        const res = await get(url(ids.s1!), { headers: { range } });
        assert.equal(res.statusCode, status);
        assert.equal(res.headers['content-range'], contentRange);
        assert.equal(res.headers['content-length'], String(to - from));
        assert.deepEqual(res.rawPayload, content(100).subarray(from, to));
      });
    }

    test('a range beyond the size: 416 with bytes */size', async () => {
      const res = await get(url(ids.s1!), { headers: { range: 'bytes=100-' } });
      assertError(res, 416, 'RANGE_NOT_SATISFIABLE');
      assert.equal(res.headers['content-range'], 'bytes */100');
    });

    test('several ranges: the whole file with 200', async () => {
      const res = await get(url(ids.s1!), { headers: { range: 'bytes=0-1,5-6' } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-range'], undefined);
      assert.deepEqual(res.rawPayload, content(100));
    });

    test('HEAD: the same headers, no body', async () => {
      const res = await app.inject({ method: 'HEAD', url: url(ids.s1!) });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], '100');
      assert.equal(res.headers['content-type'], 'video/x-flv');
      assert.equal(res.headers['accept-ranges'], 'bytes');
      assert.equal(res.rawPayload.length, 0);
      const ranged = await app.inject({ method: 'HEAD', url: url(ids.s1!), headers: { range: 'bytes=0-9' } });
      assert.equal(ranged.statusCode, 206);
      assert.equal(ranged.headers['content-length'], '10');
      assert.equal(ranged.headers['content-range'], 'bytes 0-9/100');
      assert.equal(ranged.rawPayload.length, 0);
    });

    test('conditional requests: If-None-Match gives 304, a stale If-Range the whole file', async () => {
      const etag = (await get(url(ids.s2!))).headers.etag as string;
      const cached = await get(url(ids.s2!), { headers: { 'if-none-match': etag } });
      assert.equal(cached.statusCode, 304);
      assert.equal(cached.rawPayload.length, 0);
      const stale = await get(url(ids.s2!), { headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
      assert.equal(stale.statusCode, 200);
      assert.equal(stale.rawPayload.length, 50);
      const fresh = await get(url(ids.s2!), { headers: { range: 'bytes=0-9', 'if-range': etag } });
      assert.equal(fresh.statusCode, 206);
    });

    test('an open segment is served as far as it is written, uncached', async () => {
      const res = await get(url(ids.s4!));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], '80');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.deepEqual(res.rawPayload, content(80));
      const tail = await get(url(ids.s4!), { headers: { range: 'bytes=70-' } });
      assert.equal(tail.headers['content-range'], 'bytes 70-79/80');
    });

    test('bad and unknown segment ids', async () => {
      assertError(await get('/api/segments/abc/file'), 400, 'BAD_SEGMENT_ID');
      assertError(await get('/api/segments/0/file'), 400, 'BAD_SEGMENT_ID');
      assertError(await get('/api/segments/1.5/file'), 400, 'BAD_SEGMENT_ID');
      assertError(await get('/api/segments/99999999999999999/file'), 400, 'BAD_SEGMENT_ID');
      assertError(await get('/api/segments/424242/file'), 404, 'SEGMENT_NOT_FOUND');
    });

    test('a deleted file: 404 SEGMENT_MISSING, the row flagged missing and no longer listed', async () => {
      const id = addSegment(d, { cameraId: 'front-door', startMs: T0 + 20 * MIN, endMs: T0 + 21 * MIN, bytes: 30 });
      const listed = async () => ((await get(`/api/cameras/front-door/segments?from=${T0 + 20 * MIN}&to=${NOW}`)).json() as { id: number }[]).map((s) => s.id);
      assert.deepEqual(await listed(), [id]);
      unlinkSync(join(d.dir, d.segments.get(id)!.path));
      assertError(await get(url(id)), 404, 'SEGMENT_MISSING');
      assert.equal(d.segments.get(id)!.state, 'missing');
      assert.deepEqual(await listed(), []);
      assertError(await get(url(id)), 404, 'SEGMENT_MISSING');
      const head = await app.inject({ method: 'HEAD', url: url(id) });
      assert.equal(head.statusCode, 404);
      assert.equal(head.rawPayload.length, 0);
    });

    test('a path escaping dataDir is refused with 500 and not read', async () => {
      writeFileSync(join(tmp, 'secret.flv'), 'secret');
      for (const path of ['../secret.flv', join(tmp, 'secret.flv'), 'recordings/../../secret.flv', '.']) {
        const id = addSegment(d, { cameraId: 'front-door', startMs: T0 - 90 * MIN, endMs: T0 - 89 * MIN, bytes: 6, path });
        const res = await get(url(id));
        assertError(res, 500, 'INTERNAL', /^internal error$/);
        assert.doesNotMatch(res.body, /secret/);
        assert.notEqual(d.segments.get(id)!.state, 'missing');
      }
    });
  });
});

describe('a month of one-minute segments', () => {
  test('one day lists 1440 rows and its timeline is one span', async () => {
    const d = dataDir('month');
    const start = Date.parse('2026-10-01T00:00:00.000Z');
    const day = 86_400_000;
    const count = 30 * 24 * 60;
    assert.equal(count, 43_200);
    d.db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const t = start + i * MIN;
        const id = d.segments.open({ cameraId: 'front-door', startMs: t, format: 'flv', path: `recordings/front-door/${t}.flv`, videoCodec: 'avc1.64001f', audioCodec: null, width: 1280, height: 720 });
        d.segments.close(id, { endMs: t + MIN, bytes: 1000, frames: 1500, keyframes: Buffer.alloc(0), reason: 'duration' });
      }
    })();
    const app = server(d);
    after(() => app.close());
    const from = start + 10 * day;
    const to = from + day;
    const began = performance.now();
    const list = (await app.inject({ method: 'GET', url: `/api/cameras/front-door/segments?from=${iso(from)}&to=${iso(to)}` })).json() as { startMs: number }[];
    const listMs = performance.now() - began;
    assert.equal(list.length, 1440);
    assert.equal(list[0]!.startMs, from);
    assert.equal(list.at(-1)!.startMs, to - MIN);
    const timeline = (await app.inject({ method: 'GET', url: `/api/cameras/front-door/timeline?from=${iso(from)}&to=${iso(to)}` })).json();
    assert.deepEqual(timeline, [{ start: iso(from), end: iso(to), startMs: from, endMs: to }]);
    // Generous bound: an index range scan takes a few ms; a full scan of the month would still pass, so this only catches gross regressions.
    assert.ok(listMs < 2000, `listing took ${listMs} ms`);
  });
});
