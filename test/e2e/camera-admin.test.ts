/**
 * Cameras added, edited and deleted at runtime through the API, with real
 * ffmpeg publishers over RTMP, while another camera records throughout and
 * must not notice.
 */
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { decodeErrors } from '../helpers/ffprobe.js';
import { ffmpegPublish, waitFor, type Run } from '../helpers/media-tools.js';

interface Seg {
  id: number;
  startMs: number;
  endMs: number | null;
  format: string;
  url: string;
  open: boolean;
  endReason: string | null;
}

interface Settings {
  id: string;
  name: string;
  source: string;
  streamKey: string | null;
  recording: { enabled: boolean; format: string; segmentSeconds: number };
  motion: { enabled: boolean; zones: { name: string; points: number[][] }[]; masks: unknown[]; sensitivity: number };
  retention: { days: number; eventDays: number; maxBytes: number | null };
  publish: { url: string; serverUrl: string; streamName: string };
}

interface CameraJson {
  id: string;
  source: string;
  live: boolean;
  recording: boolean;
  motion?: { enabled: boolean; state: string };
}

let t: TestApp;
let steady: Run;
/** when steady's first segment was listed */
let steadyFrom = 0;
const base = () => `http://127.0.0.1:${t.httpPort}`;
const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const res = await fetch(base() + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
};
const segments = (cam: string) => t.get<Seg[]>(`/api/cameras/${cam}/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);

before(async () => {
  t = await startTestApp({
    auth: { enabled: false },
    cameras: [{ id: 'steady', recording: { format: 'flv', segmentSeconds: 2 }, motion: { enabled: false } }],
  });
  // recorded throughout every change below: its segments must stay contiguous
  steady = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/steady`, { seconds: 60, gop: 25, audio: false });
  await waitFor(async () => (await segments('steady')).length > 0, 'a steady segment', 15_000);
  steadyFrom = Date.now();
});
after(async () => {
  steady.proc.kill('SIGKILL');
  await t.stop();
});

test('add, publish with the returned URL, change format and length, restart motion, delete: other camera undisturbed', async () => {
  // add
  const created = await api('POST', '/api/cameras', { id: 'porch', name: 'Porch', recording: { segmentSeconds: 2 }, motion: { enabled: false } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const s = created.json as Settings;
  assert.equal(s.source, 'api');
  assert.match(s.streamKey!, /^[A-Za-z0-9_-]{24}$/);
  assert.equal(s.publish.url, `rtmp://127.0.0.1:${t.rtmpPort}/live/porch?key=${s.streamKey}`);
  assert.equal(s.publish.serverUrl, `rtmp://127.0.0.1:${t.rtmpPort}/live`);
  assert.equal(s.publish.streamName, `porch?key=${s.streamKey}`);
  assert.deepEqual(s.recording, { enabled: true, format: 'flv', segmentSeconds: 2 });
  assert.deepEqual(s.retention, { days: 14, eventDays: 60, maxBytes: null });
  assert.deepEqual((await api('GET', '/api/cameras/porch/settings')).json, s);
  const list = await t.get<CameraJson[]>('/api/cameras');
  assert.deepEqual(
    list.map((c) => [c.id, c.source]),
    [
      ['steady', 'config'],
      ['porch', 'api'],
    ],
  );
  assert.equal((await api('POST', '/api/cameras', { id: 'porch' })).json.error.code, 'CAMERA_EXISTS');

  // a wrong key is refused
  const wrong = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/porch?key=nope`, { seconds: 2, audio: false });
  assert.notEqual(await wrong.exited, 0);
  assert.ok(t.logs.some((l) => l.camera === 'porch' && l.code === 'BAD_KEY'), 'refusal logged');

  // the returned URL works and it records
  const pub = ffmpegPublish(s.publish.url, { seconds: 30, gop: 25 });
  await waitFor(async () => (await segments('porch')).length > 0, 'a porch segment', 15_000);

  // new format and length: the open FLV segment is finalised at the next keyframe and the next is MP4
  const patched = await api('PATCH', '/api/cameras/porch', { recording: { format: 'mp4', segmentSeconds: 3 } });
  assert.equal(patched.status, 200, JSON.stringify(patched.json));
  assert.deepEqual(patched.json.recording, { enabled: true, format: 'mp4', segmentSeconds: 3 });
  const segs = await waitFor(async () => {
    const all = await segments('porch');
    return all.some((x) => x.format === 'mp4') ? all : null;
  }, 'an mp4 segment', 10_000);
  const firstMp4 = segs.findIndex((x) => x.format === 'mp4');
  const last = segs[firstMp4 - 1]!;
  assert.equal(last.format, 'flv');
  assert.equal(last.open, false);
  assert.equal(last.endReason, 'settings-changed');
  assert.equal(last.endMs, segs[firstMp4]!.startMs, 'contiguous: no frame lost at the switch');
  assert.equal(await decodeErrors(base() + last.url), '');

  // motion on, then zones changed: the detector is restarted with them
  const motionOn = await api('PATCH', '/api/cameras/porch', { motion: { enabled: true } });
  assert.equal(motionOn.json.motion.enabled, true);
  const porchMotion = async () => (await t.get<CameraJson[]>('/api/cameras')).find((c) => c.id === 'porch')!.motion!;
  await waitFor(async () => (await porchMotion()).state === 'ok', 'motion ok', 15_000);
  const detector = t.app.motion.cameras.get('porch')!;
  const pid = detector.decoderPid;
  const zones = [{ name: 'door', points: [[0, 0], [0.5, 0], [0.5, 1]] }];
  const withZones = await api('PATCH', '/api/cameras/porch', { motion: { zones } });
  assert.deepEqual(withZones.json.motion.zones, zones);
  assert.equal(withZones.json.motion.enabled, true, 'other motion keys kept');
  const restarted = t.app.motion.cameras.get('porch')!;
  assert.notEqual(restarted, detector, 'a new detector');
  await waitFor(async () => (await porchMotion()).state === 'ok' && restarted.decoderPid !== undefined, 'motion ok again', 15_000);
  assert.notEqual(restarted.decoderPid, pid, 'a new decoder process');
  await api('PATCH', '/api/cameras/porch', { motion: { enabled: false } });
  assert.equal((await porchMotion()).state, 'disabled');

  // a live viewer, then delete: publisher and viewer disconnected, footage still browsable
  const viewerEnded = new Promise<number>((resolve, reject) => {
    httpGet(`${base()}/live/porch.flv`, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve(bytes));
      res.on('error', () => resolve(bytes));
      res.on('close', () => resolve(bytes));
    }).on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 500));
  const del = await api('DELETE', '/api/cameras/porch');
  assert.equal(del.status, 204);
  const deletedAt = Date.now();
  await pub.exited;
  assert.ok(Date.now() - deletedAt < 5000, 'the publisher was disconnected');
  assert.ok((await viewerEnded) > 0, 'the viewer got video and was then disconnected');
  assert.deepEqual(
    (await t.get<CameraJson[]>('/api/cameras')).map((c) => c.id),
    ['steady'],
  );
  assert.equal((await api('GET', '/api/cameras/porch/settings')).json.error.code, 'CAMERA_NOT_FOUND');
  assert.equal((await api('PATCH', '/api/cameras/porch', {})).status, 404);
  assert.equal((await api('GET', '/live/porch.flv')).status, 404);
  const kept = await segments('porch');
  assert.ok(kept.length >= 2, 'recordings of the deleted camera stay browsable');
  assert.ok(kept.every((x) => !x.open));
  assert.equal(kept.at(-1)!.endReason, 'camera-removed');
  assert.equal(await decodeErrors(base() + kept.at(-1)!.url), '');
  assert.equal((await api('GET', `/api/cameras/porch/timeline?from=${Date.now() - 600_000}`)).status, 200);
  assert.equal((await api('GET', '/api/events?cameraId=porch')).status, 200, 'events of a deleted camera can still be asked for');
  assert.equal((await api('GET', '/api/events?cameraId=never-existed')).status, 404);
  const again = ffmpegPublish(s.publish.url, { seconds: 2, audio: false });
  assert.notEqual(await again.exited, 0);
  assert.ok(t.logs.some((l) => l.camera === 'porch' && l.code === 'UNKNOWN_CAMERA'), 'publish to a deleted camera refused');

  // the steady camera recorded through all of it: contiguous 2 s segments, none cut by the changes
  const steadySegs = await segments('steady');
  const closed = steadySegs.filter((x) => !x.open);
  assert.ok(steadySegs[0]!.startMs <= steadyFrom, 'recording since before the first change');
  assert.ok(steadySegs.at(-1)!.startMs >= deletedAt - 5000, 'and still after the last');
  for (let i = 1; i < steadySegs.length; i++) assert.equal(steadySegs[i]!.startMs, steadySegs[i - 1]!.endMs, `steady segment ${i} follows on`);
  assert.deepEqual(
    closed.map((x) => x.endReason),
    closed.map(() => 'duration'),
  );
  assert.ok((await t.get<CameraJson[]>('/api/cameras'))[0]!.live, 'steady still live');
});

test('API errors: bad fields named, body and count capped', async () => {
  const bad = await api('POST', '/api/cameras', { id: 'x1', recording: { format: 'avi' } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json, { error: { code: 'INVALID_CAMERA', message: 'recording.format: "avi" must be one of: flv, mp4' } });
  const big = await api('POST', '/api/cameras', { id: 'x2', name: 'n'.repeat(70_000) });
  assert.equal(big.status, 413);
  assert.equal(big.json.error.code, 'PAYLOAD_TOO_LARGE');
  const immutable = await api('PATCH', '/api/cameras/steady', { id: 'other' });
  assert.equal(immutable.json.error.code, 'INVALID_CAMERA');
  assert.equal((await api('DELETE', '/api/cameras/nope')).json.error.code, 'CAMERA_NOT_FOUND');
});
