import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, run, waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({ cameras: [{ id: 'cam', recording: { enabled: false } }, { id: 'idle' }] });
});
after(() => t.stop());

/** connect, createStream, play(name), as ffplay does */
async function player(name: string): Promise<TestRtmpClient> {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  c.command(0, 'connect', 1, { app: 'live', tcUrl: 'rtmp://127.0.0.1/live' });
  await c.waitCommand('_result');
  c.command(0, 'createStream', 2, null);
  await c.waitCommand('_result', 2);
  c.command(1, 'play', 3, null, name);
  return c;
}

const viewers = async () => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === 'cam')!.viewers;

test('ffmpeg plays rtmp://HOST/live/<camera> and decodes 50 frames without errors; the viewer is counted', async () => {
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, { seconds: 8 });
  await waitFor(async () => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === 'cam')!.video, 'cam live');
  const started = Date.now();
  const play = run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', `rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, '-frames:v', '50', '-f', 'null', '-']);
  const counted = await waitFor(async () => ((await viewers()) === 1 ? 1 : null), 'one viewer', 5000);
  assert.equal(counted, 1);
  assert.equal(await play.exited, 0, play.stderr());
  assert.equal(play.stderr().trim(), '');
  // 50 frames at 25 fps from a cached keyframe: well under the 2 s a viewer would wait for the next GOP
  assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  await waitFor(async () => ((await viewers()) === 0 ? true : null), 'viewer gone');
  await pub.exited;
});

test('playing an unknown stream is refused with NetStream.Play.StreamNotFound', async () => {
  const c = await player('nope');
  const status = await c.waitCommand('onStatus');
  assert.equal((status.values[3] as Record<string, unknown>).code, 'NetStream.Play.StreamNotFound');
  await c.waitClosed();
});

test('a player of an offline camera waits and receives the stream when the camera connects', async () => {
  const c = await player('idle');
  const status = await c.waitCommand('onStatus', 2);
  assert.equal((status.values[3] as Record<string, unknown>).code, 'NetStream.Play.Start');
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/idle`, { seconds: 2 });
  await waitFor(() => c.media.some((m) => m.type === 9), 'video on the waiting player', 8000);
  c.close();
  await pub.exited;
});
