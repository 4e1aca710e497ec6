/** The HLS routes on a hub fed synthetic frames (fastify inject; no ffmpeg): statuses, headers, blocking. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { pino } from 'pino';
import { StreamHub } from '../../src/hub/stream-hub.js';
import { handleError, handleNotFound } from '../../src/http/errors.js';
import { hlsRoutes } from '../../src/http/routes/hls.js';
import { HlsLive } from '../../src/live/hls/hls-live.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { AAC, VIDEO, aac, interleave, video } from './hls-fixtures.js';

const log = pino({ level: 'silent' });
const hub = new StreamHub({ cameras: [{ id: 'cam', name: 'Cam' }, { id: 'off', name: 'Off' }], staleTakeoverMs: 5000, log });
const hls = new HlsLive({ hub, log });
const app = Fastify();
app.setErrorHandler(handleError);
app.setNotFoundHandler(handleNotFound);
await app.register(hlsRoutes, { hub, cameraIds: () => ['cam', 'off'], live: hls });
after(() => app.close());

const stream = hub.stream('cam')!;
const frames = interleave(video(500), aac(862)); // 20 s at 25 fps, 1 s GOP
let next = 0;
/** feeds the frames up to `ms` of stream time */
const feedTo = (ms: number) => {
  while (next < frames.length && frames[next].dts < ms) stream.pushFrame(frames[next++] as MediaFrame);
};
const get = (url: string) => app.inject({ method: 'GET', url });
const code = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

test('unknown camera 404, offline camera 503 with Retry-After, media before any playlist 404', async () => {
  const unknown = await get('/live/nope/index.m3u8');
  assert.deepEqual([unknown.statusCode, code(unknown.body)], [404, 'CAMERA_NOT_FOUND']);
  const off = await get('/live/off/index.m3u8');
  assert.deepEqual([off.statusCode, code(off.body), off.headers['retry-after']], [503, 'CAMERA_OFFLINE', '5']);
  const early = await get('/live/cam/seg-1.m4s');
  assert.deepEqual([early.statusCode, code(early.body)], [404, 'HLS_NOT_STARTED']);
  assert.equal((await get('/live/cam/index.m3u8?_HLS_part=2')).statusCode, 400);
});

test('the first playlist waits for the first segment instead of answering an empty one', async () => {
  stream.startPublishing({ id: 1, peer: 'test', lastActivity: () => 0, close: () => {} });
  stream.pushConfig(VIDEO);
  stream.pushConfig(AAC);
  feedTo(500);
  const pending = get('/live/cam/index.m3u8');
  setTimeout(() => feedTo(1500), 50);
  const res = await pending;
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.apple.mpegurl');
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.match(res.body, /#EXTINF:1\.000,\nseg-\d+\.m4s\n/);
  assert.equal(hls.viewers('cam'), 1);
});

test('segments, parts and init segments: types, caching, 404 once aged out', async () => {
  feedTo(12_000);
  const text = (await get('/live/cam/index.m3u8')).body;
  const msns = [...text.matchAll(/seg-(\d+)\.m4s/g)].map((m) => Number(m[1]));
  assert.equal(msns.length, 6);
  const seg = await get(`/live/cam/seg-${msns[0]}.m4s`);
  assert.equal(seg.statusCode, 200);
  assert.equal(seg.headers['content-type'], 'video/iso.segment');
  assert.match(String(seg.headers['cache-control']), /max-age=\d+/);
  assert.equal(seg.rawPayload.subarray(4, 8).toString(), 'moof');
  assert.equal((await get(`/live/cam/seg-${msns[0] - 4}.m4s`)).statusCode, 404, 'out of the playlist and past the retained ones');
  assert.equal((await get(`/live/cam/seg-${msns[0] - 1}.m4s`)).statusCode, 200, 'just out of the playlist: still served (RFC 8216 6.2.2)');
  assert.equal((await get(`/live/cam/seg-x.m4s`)).statusCode, 404);
  const init = await get(`/live/cam/${/init-\d+\.mp4/.exec(text)![0]}`);
  assert.deepEqual([init.statusCode, init.headers['content-type']], [200, 'video/mp4']);
  assert.equal(init.rawPayload.subarray(4, 8).toString(), 'ftyp');
  assert.equal((await get('/live/cam/init.mp4')).headers['cache-control'], 'no-cache');
  const part = /URI="part-(\d+)\.m4s"/.exec(text)![1];
  assert.equal((await get(`/live/cam/part-${part}.m4s`)).statusCode, 200);
});

test('blocking reload and the hinted part wait for the media; too far ahead is a 400', async () => {
  const text = (await get('/live/cam/index.m3u8')).body;
  const hinted = Number(/PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.m4s"/.exec(text)![1]);
  const open = hls.existing('cam')!.window.open!;
  const partReq = get(`/live/cam/part-${hinted}.m4s`);
  const reload = get(`/live/cam/index.m3u8?_HLS_msn=${open.msn}&_HLS_part=${open.parts.length}`);
  assert.equal((await get(`/live/cam/part-${hinted + 1}.m4s`)).statusCode, 404, 'only the hinted part is waited for');
  setTimeout(() => feedTo(12_300), 50);
  const [part, pl] = await Promise.all([partReq, reload]);
  assert.equal(part.statusCode, 200);
  assert.equal(pl.statusCode, 200);
  assert.match(pl.body, new RegExp(`URI="part-${hinted}\\.m4s"`));
  assert.equal((await get(`/live/cam/index.m3u8?_HLS_msn=${open.msn + 5}`)).statusCode, 400);
  const now = hls.existing('cam')!.window.open!;
  assert.equal((await get(`/live/cam/index.m3u8?_HLS_msn=${now.msn}&_HLS_part=40`)).statusCode, 400, 'past the Advance Part Limit');
  assert.equal((await get('/live/cam/index.m3u8?_HLS_msn=abc')).statusCode, 400);
  // an old msn is answered at once with the whole current playlist
  assert.match((await get(`/live/cam/index.m3u8?_HLS_msn=${open.msn - 3}`)).body, /PRELOAD-HINT/);
});

test('the publisher leaves: playlists 503 CAMERA_OFFLINE, held segments still served', async () => {
  const text = (await get('/live/cam/index.m3u8')).body;
  stream.endPublishing('gone');
  const off = await get('/live/cam/index.m3u8');
  assert.deepEqual([off.statusCode, code(off.body)], [503, 'CAMERA_OFFLINE']);
  const msn = /seg-(\d+)\.m4s/.exec(text)![1];
  assert.equal((await get(`/live/cam/seg-${msn}.m4s`)).statusCode, 200);
});
