import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { flvTags } from '../media/flv-file.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { exportMp4 } from '../../src/export/export-mp4.js';
import { decodeErrors, probe, videoPacketTimes } from '../helpers/ffprobe.js';
import { ffmpegPublish, run, waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

interface Seg {
  id: number;
  startMs: number;
  endMs: number;
  start: string;
  bytes: number;
  format: string;
  url: string;
  open: boolean;
  endReason: string | null;
}

let t: TestApp;
const tmp = mkdtempSync(join(tmpdir(), 'nvr-rec-'));
const base = () => `http://127.0.0.1:${t.httpPort}`;

before(async () => {
  t = await startTestApp({
    cameras: [
      { id: 'flvcam', recording: { format: 'flv', segmentSeconds: 3 } },
      { id: 'mp4cam', recording: { format: 'mp4', segmentSeconds: 3 } },
      { id: 'synth', recording: { format: 'flv', segmentSeconds: 60 } },
      { id: 'bfflv', recording: { format: 'flv', segmentSeconds: 60 } },
      { id: 'bfmp4', recording: { format: 'mp4', segmentSeconds: 60 } },
    ],
  });
});
after(async () => {
  await t.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const segments = (cam: string) => t.get<Seg[]>(`/api/cameras/${cam}/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);

for (const format of ['flv', 'mp4'] as const) {
  test(`${format}: 3 s segments cut on keyframes; every segment decodes; durations add up to what was published`, async () => {
    const cam = `${format}cam`;
    const seconds = 10;
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/${cam}`, { seconds, size: '640x360', fps: 25, gop: 25 });
    assert.equal(await pub.exited, 0, pub.stderr());
    const segs = await waitFor(async () => {
      const s = await segments(cam);
      return s.length > 0 && s.every((x) => !x.open) ? s : null;
    }, 'closed segments');
    assert.ok(segs.length >= 3 && segs.length <= 4, `${segs.length} segments`);
    assert.deepEqual(segs.slice(0, -1).map((s) => s.endReason), Array(segs.length - 1).fill('duration'));
    assert.equal(segs[segs.length - 1].endReason, 'publish-ended');
    let total = 0;
    for (const s of segs) {
      assert.equal(s.format, format);
      const url = base() + s.url;
      assert.equal(await decodeErrors(url), '', `segment ${s.id} decodes cleanly`);
      const p = await probe(url);
      assert.ok(p.streams.some((x) => x.codec_type === 'video' && x.codec_name === 'h264' && x.width === 640));
      assert.ok(p.streams.some((x) => x.codec_type === 'audio' && x.codec_name === 'aac'));
      // the index and the file agree on the length within a frame
      assert.ok(Math.abs((s.endMs - s.startMs) / 1000 - p.durationSec) < 0.1, `segment ${s.id}: index ${s.endMs - s.startMs} ms, file ${p.durationSec} s`);
      total += p.durationSec;
    }
    // contiguous: each segment starts where the previous ended
    for (let i = 1; i < segs.length; i++) assert.equal(segs[i].startMs, segs[i - 1].endMs);
    assert.ok(Math.abs(total - seconds) <= 0.04 * segs.length + 0.05, `segments add up to ${total} s for ${seconds} s published`);
  });
}

for (const format of ['flv', 'mp4'] as const) {
  test(`${format}: an export across three segments has the requested length within one GOP and decodes cleanly`, async () => {
    const segs = await segments(`${format}cam`);
    assert.ok(segs.length >= 3);
    const from = segs[0].startMs + 1500;
    const to = segs[2].startMs + 1500;
    const url = `${base()}/api/cameras/${format}cam/export.mp4?from=${new Date(from).toISOString()}&to=${to}`;
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    const file = join(tmp, `export-${format}.mp4`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    assert.equal(await decodeErrors(file), '');
    const p = await probe(file);
    const want = (to - from) / 1000;
    // it starts at the keyframe at or before `from` (1 s GOP): up to one GOP longer
    assert.ok(p.durationSec >= want - 0.1 && p.durationSec <= want + 1.05, `export lasts ${p.durationSec} s for ${want} s asked`);
    assert.ok(p.streams.some((x) => x.codec_type === 'audio' && x.codec_name === 'aac'), 'audio included');
    const times = await videoPacketTimes(file);
    assert.ok(times.every((t, i) => i === 0 || t > times[i - 1] - 0.2), 'continuous timestamps');
    assert.ok(times[times.length - 1] - times[0] < want + 1.05);
  });
}

test('an export across an FLV and an fMP4 segment (format boundary, with a gap) is one continuous MP4', async () => {
  const [flv] = await segments('flvcam');
  const mp4 = (await segments('mp4cam'))[1];
  const rows = [flv, mp4].map((s) => t.app.storage.segments.get(s.id)!);
  const chunks: Buffer[] = [];
  for await (const parts of exportMp4({ rows, dataDir: t.dataDir, fromMs: rows[0].startMs, toMs: rows[1].endMs })) chunks.push(...parts);
  const file = join(tmp, 'export-mixed.mp4');
  writeFileSync(file, Buffer.concat(chunks));
  assert.equal(await decodeErrors(file), '');
  const p = await probe(file);
  const want = (rows[0].endMs - rows[0].startMs + rows[1].endMs - rows[1].startMs) / 1000;
  assert.ok(Math.abs(p.durationSec - want) < 0.15, `mixed export lasts ${p.durationSec} s, segments ${want} s`);
});

test('export of a range with no recordings is a 404 with the error shape', async () => {
  const res = await fetch(`${base()}/api/cameras/flvcam/export.mp4?from=2020-01-01T00:00:00Z&to=2020-01-01T01:00:00Z`);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NO_RECORDINGS');
});

test('B-frames and G.711 audio are kept as sent in both formats', async () => {
  const pubs = ['bfflv', 'bfmp4'].map((cam) =>
    run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=8000',
      '-t', '3', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1',
      '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/${cam}`,
    ]),
  );
  for (const p of pubs) assert.equal(await p.exited, 0, p.stderr());
  for (const cam of ['bfflv', 'bfmp4']) {
    const [s] = await waitFor(async () => {
      const x = await segments(cam);
      return x.length === 1 && !x[0].open ? x : null;
    }, `${cam} segment`);
    const url = base() + s.url;
    assert.equal(await decodeErrors(url), '', `${cam} decodes`);
    const p = await probe(url);
    assert.ok(p.streams.some((x) => x.codec_type === 'audio' && x.codec_name === 'pcm_alaw' && x.sample_rate === '8000'), `${cam}: G.711 kept`);
    // decode order differs from presentation order: B-frames survived with their composition offsets
    const pts = await videoPacketTimes(url);
    assert.ok(pts.some((x, i) => i > 0 && x < pts[i - 1]), `${cam}: B-frames present`);
  }
});

/** An ffmpeg-made FLV whose tag bodies are replayed as RTMP messages by our scripted publisher. */
function makeClip(seconds: number): { type: number; timestamp: number; body: Buffer }[] {
  const file = join(tmp, `clip-${seconds}.flv`);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-f', 'flv', file]);
  return [...flvTags(readFileSync(file))].filter((x) => x.type === 8 || x.type === 9);
}

async function replay(client: TestRtmpClient, tags: { type: number; timestamp: number; body: Buffer }[], offset: number, paced = true): Promise<void> {
  const t0 = Date.now();
  for (const tag of tags) {
    const ts = (tag.timestamp + offset) >>> 0; // 32-bit on the wire, as a camera 49.7 days in sends it
    if (tag.type === 9) client.video(ts, tag.body);
    else client.audio(ts, tag.body);
    const due = t0 + tag.timestamp - (tags[0]?.timestamp ?? 0);
    if (paced && due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
}

test('timestamps crossing 2^32 and a publisher reconnect: one continuous segment, then a gap and a new one', async () => {
  const clip = makeClip(4);
  const first = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await first.publish('synth'), 'NetStream.Publish.Start');
  // start 2 s before the wrap: the recording must not break or jump at it
  await replay(first, clip, 2 ** 32 - 2000);
  await new Promise((r) => setTimeout(r, 300));
  first.close();
  await new Promise((r) => setTimeout(r, 1500));
  const second = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await second.publish('synth'), 'NetStream.Publish.Start');
  await replay(second, clip, 0);
  await new Promise((r) => setTimeout(r, 300));
  second.close();
  const segs = await waitFor(async () => {
    const s = await segments('synth');
    return s.length === 2 && s.every((x) => !x.open) ? s : null;
  }, 'two closed segments');
  assert.deepEqual(segs.map((s) => s.endReason), ['publish-ended', 'publish-ended']);
  for (const s of segs) {
    assert.equal(await decodeErrors(base() + s.url), '');
    const p = await probe(base() + s.url);
    assert.ok(Math.abs(p.durationSec - 4) < 0.1, `segment ${s.id} lasts ${p.durationSec} s`);
  }
  // the reconnect is a gap in the timeline, not a stretched segment
  const spans = await t.get<{ startMs: number; endMs: number }[]>(`/api/cameras/synth/timeline?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
  assert.equal(spans.length, 2);
  assert.ok(spans[1].startMs - spans[0].endMs >= 1000);
});
