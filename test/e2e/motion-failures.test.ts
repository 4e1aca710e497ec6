/**
 * Motion never stops recording: with no usable ffmpeg the camera records as
 * usual and its status says what is wrong.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, waitFor } from '../helpers/media-tools.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({ motion: { ffmpegPath: '/nonexistent/ffmpeg', restartMinMs: 500 }, cameras: [{ id: 'cam', recording: { segmentSeconds: 2 } }] });
});
after(() => t.stop());

test('ffmpeg missing: recording goes on, the camera status says decoder-missing', async () => {
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, { seconds: 5, gop: 25 });
  // what users see: GET /api/cameras says what is wrong with the camera's motion detection
  const status = await waitFor(async () => {
    const [cam] = await t.get<{ motion?: { state: string; enabled: boolean; active: boolean; message?: string } }[]>('/api/cameras');
    return cam.motion?.state === 'decoder-missing' ? cam.motion : null;
  }, 'decoder-missing status');
  assert.equal(status.enabled, true);
  assert.equal(status.active, false);
  assert.match(status.message!, /\/nonexistent\/ffmpeg \(ENOENT\); install ffmpeg or set motion.ffmpegPath/);
  assert.ok(t.app.hub.list()[0].recording, 'still recording');
  assert.equal(await pub.exited, 0, pub.stderr());
  const segs = await waitFor(async () => {
    const s = await t.get<{ open: boolean; endMs: number; startMs: number }[]>(`/api/cameras/cam/segments?from=${Date.now() - 600_000}`);
    return s.length >= 2 && s.every((x) => !x.open) ? s : null;
  }, 'closed segments');
  const seconds = segs.reduce((n, s) => n + (s.endMs - s.startMs), 0) / 1000;
  assert.ok(seconds > 4.5, `${seconds} s recorded of 5`);
  assert.ok(t.logs.some((l) => l.msg === 'motion decoder stopped'), 'the failure is logged');
});
