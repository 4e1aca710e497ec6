/**
 * Motion end to end: synthetic clips published over RTMP in real time, events
 * read back from the API and the SSE stream. Truth comes from the clips: the
 * box moves only during known intervals; the light clip changes brightness
 * and switches to grey (an IR cut filter) with nothing moving.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { EventJson } from '../../src/events/event-json.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { run, waitFor } from '../helpers/media-tools.js';
import { makeFlvClip, type Interval } from '../motion/clips.js';

const GOP_MS = 2000;
const INTERVALS: Interval[] = [
  [5, 11],
  [17, 23],
];
const SECONDS = 30;
/** Wall-clock jitter between the publisher's pacing and our arrival times. */
const SLACK_MS = 400;

let t: TestApp;
const tmp = mkdtempSync(join(tmpdir(), 'nvr-motion-'));
const base = () => `http://127.0.0.1:${t.httpPort}`;
const sse: { event: string; data: EventJson & { phase: string } }[] = [];
let closeSse: () => void = () => {};
const statesSeen = new Map<string, Set<string>>();

before(async () => {
  const motion = { endSeconds: 3 };
  t = await startTestApp({
    cameras: [
      { id: 'box', motion },
      { id: 'light', motion },
      // the mask covers the whole circle the box travels
      { id: 'masked', motion: { ...motion, masks: [{ name: 'middle', points: [[0.2, 0], [0.8, 0], [0.8, 1], [0.2, 1]] }] } },
      { id: 'off', motion: { enabled: false } },
    ],
  });
  const clip = { seconds: SECONDS, width: 640, height: 360, fps: 10, gopSeconds: GOP_MS / 1000 };
  makeFlvClip(join(tmp, 'box.flv'), { ...clip, scene: { kind: 'box', intervals: INTERVALS } });
  makeFlvClip(join(tmp, 'light.flv'), { ...clip, scene: { kind: 'light' } });
  closeSse = listenSse(`${base()}/api/events/live`);
});

after(async () => {
  closeSse();
  await t.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function listenSse(url: string): () => void {
  const req = request(url, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) sse.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return () => req.destroy();
}

const publish = (file: string, cam: string) =>
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/${cam}`]);

async function events(cam: string): Promise<EventJson[]> {
  return t.get<EventJson[]>(`/api/events?cameraId=${cam}&from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
}

/** Wall time of the clip's first keyframe: the camera's earliest thumbnail. */
async function clipStart(cam: string): Promise<number> {
  const res = await fetch(`${base()}/api/cameras/${cam}/thumbnail?at=${Date.now() - 3_600_000}`);
  assert.equal(res.status, 200);
  return Number(res.headers.get('x-thumbnail-ms'));
}

test('publishing the clips: events match the moving intervals within one GOP; light changes and masked motion raise none', async () => {
  const watch = setInterval(() => {
    for (const c of t.app.hub.list()) {
      if (!statesSeen.has(c.id)) statesSeen.set(c.id, new Set());
      if (c.motion) statesSeen.get(c.id)!.add(c.motion.state);
    }
  }, 100);
  const pubs = [publish(join(tmp, 'box.flv'), 'box'), publish(join(tmp, 'light.flv'), 'light'), publish(join(tmp, 'box.flv'), 'masked')];
  const codes = await Promise.all(pubs.map((p) => p.exited));
  clearInterval(watch);
  codes.forEach((c, i) => assert.equal(c, 0, pubs[i].stderr()));
  // publish ended: every camera's decoder flushes and any open event ends
  await waitFor(() => t.app.hub.list().every((c) => !c.motion || c.motion.state === 'idle' || c.motion.state === 'disabled'), 'motion idle', 15_000);
  for (const cm of t.app.motion.cameras.values()) await cm.idle();

  const box = await events('box');
  const t0 = await clipStart('box');
  const rel = box.map((e) => [(e.startMs - t0) / 1000, ((e.endMs ?? NaN) - t0) / 1000]);
  assert.equal(box.length, INTERVALS.length, `events (s from clip start): ${JSON.stringify(rel)}`);
  box.forEach((e, i) => {
    const [a, b] = INTERVALS[i];
    assert.ok(Math.abs(e.startMs - (t0 + a * 1000)) <= GOP_MS + SLACK_MS, `event ${i} starts at ${rel[i][0]} s, motion from ${a} s`);
    assert.ok(e.endMs !== null && Math.abs(e.endMs - (t0 + b * 1000)) <= GOP_MS + SLACK_MS, `event ${i} ends at ${rel[i][1]} s, motion until ${b} s`);
    assert.equal(e.type, 'motion');
    assert.equal(e.cameraId, 'box');
    assert.equal(e.endReason, 'quiet');
    assert.ok(e.score > 0.5 && e.score <= 100, `score ${e.score}`);
    assert.equal(e.start, new Date(e.startMs).toISOString());
    assert.equal(e.end, new Date(e.endMs!).toISOString());
  });
  assert.deepEqual(await events('light'), [], 'a global light change is not motion');
  assert.deepEqual(await events('masked'), [], 'motion under a mask is not motion');

  // the status said what the pipeline was doing
  assert.ok(statesSeen.get('box')?.has('ok'), `box states: ${[...(statesSeen.get('box') ?? [])]}`);
  assert.deepEqual([...(statesSeen.get('off') ?? [])], ['disabled']);
});

test('each event has a snapshot JPEG at its snapshotUrl', async () => {
  for (const e of await events('box')) {
    assert.ok(e.snapshotUrl, `event ${e.id} has a snapshot`);
    const res = await fetch(base() + e.snapshotUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 180]);
  }
  const res = await fetch(`${base()}/api/events/999999/snapshot.jpg`);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'SNAPSHOT_NOT_FOUND');
});

test('the SSE stream told of each start and end, in order', async () => {
  const box = await events('box');
  const got = sse.filter((m) => m.event === 'motion').map((m) => [m.data.id, m.data.phase, m.data.cameraId]);
  assert.deepEqual(
    got,
    box.flatMap((e) => [
      [e.id, 'start', 'box'],
      [e.id, 'end', 'box'],
    ]),
  );
  const end = sse.find((m) => m.data.phase === 'end')!;
  assert.equal(end.data.endMs, box[0].endMs);
  const start = sse.find((m) => m.data.phase === 'start')!;
  assert.equal(start.data.end, null, 'an ongoing event has no end yet');
});

test('thumbnails: one per keyframe, nearest to `at`, 320 px wide', async () => {
  const t0 = await clipStart('box');
  const res = await fetch(`${base()}/api/cameras/box/thumbnail?at=${new Date(t0 + 10_300).toISOString()}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const at = Number(res.headers.get('x-thumbnail-ms'));
  assert.ok(Math.abs(at - (t0 + 10_000)) < 300, `nearest keyframe to 10.3 s is at ${(at - t0) / 1000} s`);
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.deepEqual([meta.width, meta.height], [320, 180]);
  const latest = await fetch(`${base()}/api/cameras/box/thumbnail`);
  assert.ok(Number(latest.headers.get('x-thumbnail-ms')) >= t0 + (SECONDS - GOP_MS / 1000 - 1) * 1000);
  assert.equal((await fetch(`${base()}/api/cameras/off/thumbnail`)).status, 404);
  assert.equal((await fetch(`${base()}/api/cameras/nope/thumbnail`)).status, 404);
  assert.equal((await fetch(`${base()}/api/cameras/box/thumbnail?at=yesterday`)).status, 400);
});

test('GET /api/events: all cameras, by time, limit and order', async () => {
  const from = Date.now() - 3_600_000;
  const all = await t.get<EventJson[]>(`/api/events?from=${from}`);
  assert.equal(all.length, 2);
  const desc = await t.get<EventJson[]>(`/api/events?from=${from}&order=desc&limit=1`);
  assert.deepEqual(desc.map((e) => e.id), [all[1].id]);
  // a range that only overlaps the second event's tail still finds it
  const tail = await t.get<EventJson[]>(`/api/events?from=${all[1].endMs! - 1}&to=${all[1].endMs! + 60_000}`);
  assert.deepEqual(tail.map((e) => e.id), [all[1].id]);
  assert.equal((await fetch(`${base()}/api/events?cameraId=nope`)).status, 404);
  assert.equal((await fetch(`${base()}/api/events?order=sideways`)).status, 400);
  const one = await t.get<EventJson>(`/api/events/${all[0].id}`);
  assert.deepEqual(one, all[0]);
});
