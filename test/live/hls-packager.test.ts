/** HlsPackager on a real LiveStream, and HlsLive's lazy start, idle stop and viewer count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { LiveStream, type Publisher } from '../../src/hub/live-stream.js';
import { StreamHub } from '../../src/hub/stream-hub.js';
import { HlsLive } from '../../src/live/hls/hls-live.js';
import { HlsPackager } from '../../src/live/hls/hls-packager.js';
import { DEFAULT_HLS_SETTINGS, type HlsSettings } from '../../src/live/hls/hls-settings.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { AAC, PCMA, VIDEO, VIDEO_SMALL, aac, interleave, pcma, readBack, video } from './hls-fixtures.js';

const log = pino({ level: 'silent' });
const publisher = (id: number): Publisher => ({ id, peer: 'test', lastActivity: () => 0, close: () => {} });

function setup(settings: Partial<HlsSettings> = {}) {
  const stream = new LiveStream('cam', log, Date.now);
  const packager = new HlsPackager({
    cameraId: 'cam',
    settings: { ...DEFAULT_HLS_SETTINGS, ...settings },
    numbering: { msn: 100, partId: 1000, initId: 7 },
    log,
    now: Date.now,
  });
  const feed = (frames: MediaFrame[]) => frames.forEach((f) => stream.pushFrame(f));
  return { stream, packager, feed };
}

const count = (text: string, re: RegExp) => text.match(re)?.length ?? 0;

test('attached mid-GOP: the cached GOP starts the first segment; ready when a keyframe closes it; 6 segments listed, memory bounded', () => {
  const { stream, packager, feed } = setup({ maxBytes: 1e9 });
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  stream.pushConfig(AAC);
  const frames = interleave(video(500), aac(862)); // 20 s, 1 s GOP
  feed(frames.filter((f) => f.dts < 1400)); // one GOP and a bit
  packager.start(stream);
  assert.equal(stream.consumerCount('other'), 1);
  assert.equal(packager.ready(), false, 'the segment from the 1000 ms keyframe is still open');
  feed(frames.filter((f) => f.dts >= 1400 && f.dts < 2040));
  assert.equal(packager.ready(), true);
  assert.equal(packager.window.completed()[0].durationMs, 1000);
  feed(frames.filter((f) => f.dts >= 2040));
  const text = packager.playlist();
  assert.equal(count(text, /#EXTINF/g), 6);
  assert.equal(count(text, /#EXT-X-MAP:URI="init-7\.mp4"/g), 1);
  assert.match(text, /#EXT-X-MEDIA-SEQUENCE:11[0-9]\n/);
  // parts for the last three segments (3 target durations) and the open one
  assert.equal(count(text, /#EXT-X-PART:/g), 3 * 5 + packager.window.open!.parts.length);
  assert.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-\d+\.m4s"\n$/);
  // 6 listed + 3 retained + the open one, no more
  assert.equal(packager.window.all().length, 10);
  const init = packager.initSegment()!;
  const seg = packager.window.completed()[5];
  const back = readBack(init, seg.parts.map((p) => p.data));
  assert.deepEqual(back.tracks.map((t) => t.codec), ['avc1', 'mp4a']);
});

test('publisher reconnect: discontinuity, same init reused, decode time continues, numbers keep rising', () => {
  const { stream, packager, feed } = setup();
  packager.start(stream);
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  stream.pushConfig(AAC);
  feed(interleave(video(100), aac(172)));
  stream.endPublishing('gone');
  assert.equal(packager.running, false);
  const before = packager.window.completed();
  const lastBefore = before[before.length - 1];
  assert.equal(packager.window.open, null, 'the last segment was completed at publish end');
  assert.doesNotMatch(packager.playlist(), /PRELOAD-HINT/);

  stream.startPublishing(publisher(2));
  stream.pushConfig(VIDEO);
  stream.pushConfig(AAC);
  feed(interleave(video(100), aac(172))); // its clock starts at 0 again
  const text = packager.playlist();
  assert.equal(count(text, /#EXT-X-DISCONTINUITY\n/g), 1);
  assert.equal(count(text, /#EXT-X-MAP/g), 1);
  const firstAfter = packager.window.all().find((s) => s.discontinuity)!;
  assert.equal(firstAfter.msn, lastBefore.msn + 1);
  assert.equal(firstAfter.parts[0].id, lastBefore.parts[lastBefore.parts.length - 1].id + 1);
  const back = readBack(packager.initSegment()!, [firstAfter.parts[0].data]);
  assert.ok(back.traf(0, 'vide')!.baseDecodeTime >= 4000 * 90, 'decode time continues past the first run');
});

test('a new SPS mid-publish: a new init segment and a discontinuity at the next keyframe; the old init stays while segments need it', () => {
  const { stream, packager, feed } = setup();
  packager.start(stream);
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  feed(video(60));
  stream.pushConfig(VIDEO); // a repeated, identical sequence header changes nothing
  feed(video(20, { start: 2400 }).map((f) => ({ ...f, keyframe: false })));
  assert.equal(packager.window.all().some((s) => s.discontinuity), false);
  stream.pushConfig(VIDEO_SMALL);
  feed(video(60, { start: 3200 }));
  const text = packager.playlist();
  assert.deepEqual([...text.matchAll(/init-(\d+)\.mp4/g)].map((m) => m[1]), ['7', '8']);
  assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-8\.mp4"/);
  assert.ok(packager.initSegment(7) && packager.initSegment(8));
  assert.equal(packager.initSegment(), packager.initSegment(8));
});

test('G.711 audio is left out of HLS; an AAC track that appears later starts a new run with audio', () => {
  const { stream, packager, feed } = setup();
  packager.start(stream);
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  stream.pushConfig(PCMA);
  feed(interleave(video(60), pcma(120)));
  assert.deepEqual(readBack(packager.initSegment()!, []).tracks.map((t) => t.codec), ['avc1']);
  stream.pushConfig(AAC);
  feed(interleave(video(60, { start: 2400 }), aac(100, 2400)));
  assert.deepEqual(readBack(packager.initSegment()!, []).tracks.map((t) => t.codec), ['avc1', 'mp4a']);
  assert.match(packager.playlist(), /#EXT-X-DISCONTINUITY\n#EXT-X-MAP/);
});

test('a frame the packager chokes on costs one GOP: the run ends, the next keyframe resumes behind a discontinuity', () => {
  const { stream, packager, feed } = setup();
  packager.start(stream);
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  feed(video(60));
  const bad = { ...video(1, { start: 2400 })[0], keyframe: false };
  Object.defineProperty(bad, 'payload', { get: () => { throw new Error('torn frame'); } });
  packager.onFrame(bad); // straight in: the hub itself reads the payload first
  assert.equal(packager.running, false);
  assert.equal(stream.consumerCount('other'), 1, 'still attached');
  feed(video(60, { start: 2440 }).map((f, i) => ({ ...f, keyframe: i % 25 === 15 })));
  assert.equal(packager.running, true);
  const resumed = packager.window.all().find((s) => s.discontinuity)!;
  const before = packager.window.all().filter((s) => s.msn < resumed.msn);
  const endBefore = before.reduce((n, s) => n + s.durationMs, 0);
  const back = readBack(packager.initSegment()!, [resumed.parts[0].data]);
  assert.ok(back.traf(0, 'vide')!.baseDecodeTime >= endBefore * 90, 'decode time does not go back');
});

test('waitFor: resolves when the condition holds, false on timeout or stop', async () => {
  const { stream, packager, feed } = setup();
  packager.start(stream);
  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  assert.equal(await packager.waitFor(() => packager.ready(), 20), false);
  const waiting = packager.waitFor(() => packager.ready(), 5000);
  feed(video(30));
  assert.equal(await waiting, true);
  const never = packager.waitFor(() => false, 5000);
  packager.stop();
  assert.equal(await never, false);
  assert.equal(stream.consumerCount('other'), 0);
});

test('HlsLive: made on demand, stopped when idle, numbering continues; viewers are distinct addresses of the last 10 s', () => {
  let now = 1_000_000;
  const hub = new StreamHub({ cameras: [{ id: 'cam', name: 'Cam' }], staleTakeoverMs: 5000, log, now: () => now });
  const hls = new HlsLive({ hub, log, now: () => now, idleMs: 30_000 });
  assert.equal(hls.packager('nope'), null);
  const p = hls.packager('cam')!;
  assert.equal(hls.packager('cam'), p);
  const stream = hub.stream('cam')!;
  assert.equal(stream.consumerCount('other'), 1);
  assert.equal(p.window.nextPartId, 10_000, 'numbers start from the clock');

  stream.startPublishing(publisher(1));
  stream.pushConfig(VIDEO);
  video(60).forEach((f) => stream.pushFrame(f));
  const used = p.numbering();

  hls.noteViewer('cam', '10.0.0.1');
  hls.noteViewer('cam', '10.0.0.2');
  hls.noteViewer('cam', '10.0.0.1');
  assert.equal(hls.viewers('cam'), 2);
  now += 6000;
  hls.noteViewer('cam', '10.0.0.2');
  now += 5000;
  assert.equal(hls.viewers('cam'), 1);
  assert.equal(hls.viewers('other'), 0);

  now += 20_000; // 31 s since the last request
  hls.sweep();
  assert.deepEqual(hls.running, []);
  assert.equal(stream.consumerCount('other'), 0);
  const again = hls.packager('cam')!;
  assert.notEqual(again, p);
  assert.ok(again.window.nextPartId >= used.partId);
  assert.ok(again.numbering().msn >= used.msn);
  hls.stop();
  assert.equal(stream.consumerCount('other'), 0);
});
