import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import type { MediaFrame } from '../../src/media/frame.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { auPayload, enhancedHevcTag, hevcAccessUnits, hevcRecord, legacyHevcTag } from '../helpers/hevc-tags.js';
import { ffmpegPublish, run, waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

let t: TestApp;
let hevc: Buffer;
const tmp = mkdtempSync(join(tmpdir(), 'nvr-hevc-'));

before(async () => {
  t = await startTestApp({ cameras: [{ id: 'hevc-legacy' }, { id: 'hevc-enhanced' }, { id: 'g711' }] });
  // 2 s of 640x360 at 30 fps, GOP 30, from Debian's ffmpeg with libx265
  const file = join(tmp, 'clip.hevc');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-t', '2', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=30:min-keyint=30:log-level=error', '-f', 'hevc', file]);
  hevc = readFileSync(file);
});
after(async () => {
  await t.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const camera = async (id: string) => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === id)!;

for (const style of ['legacy', 'enhanced'] as const) {
  test(`H.265 over ${style === 'legacy' ? 'legacy codec id 12' : 'Enhanced RTMP hvc1'}: config, size, fps and every frame reach the hub`, async () => {
    const camId = `hevc-${style}`;
    const frames: MediaFrame[] = [];
    t.app.hub.stream(camId)!.attach({ kind: 'other', onFrame: (f) => frames.push(f) });
    const { vps, sps, pps, units } = hevcAccessUnits(hevc);
    const client = await TestRtmpClient.connect(t.rtmpPort);
    assert.equal(await client.publish(camId), 'NetStream.Publish.Start');
    const record = hevcRecord(vps, sps, pps);
    client.video(0, style === 'legacy' ? legacyHevcTag('config', true, record) : enhancedHevcTag('config', true, record));
    units.forEach((u, i) => {
      const data = auPayload(u);
      // alternate CodedFrames and CodedFramesX on the enhanced path
      const tag = style === 'legacy' ? legacyHevcTag('frame', u.keyframe, data) : enhancedHevcTag(i % 2 ? 'framex' : 'frame', u.keyframe, data);
      client.video(Math.round((i * 1000) / 30), tag);
    });
    const cam = await waitFor(async () => {
      const c = await camera(camId);
      return c.video && frames.length === units.length ? c : null;
    }, `${units.length} frames on ${camId}`);
    assert.deepEqual(cam.video, { codec: 'h265', width: 640, height: 360, fps: 30 });
    assert.equal(frames.filter((f) => f.keyframe).length, 2);
    assert.deepEqual(frames.map((f) => f.dts), units.map((_, i) => Math.round((i * 1000) / 30)));
    assert.ok(frames.every((f) => f.codec === 'h265' && f.payload.equals(auPayload(units[frames.indexOf(f)]))));
    client.close();
  });
}

test('ffmpeg publishes H.264 with G.711 A-law audio: kept as pcma, 8 kHz mono', async () => {
  const frames: MediaFrame[] = [];
  t.app.hub.stream('g711')!.attach({ kind: 'other', onFrame: (f) => frames.push(f) });
  const pub = run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=sample_rate=8000',
    '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/g711`,
  ]);
  const cam = await waitFor(async () => {
    const c = await camera('g711');
    return c.audio ? c : null;
  }, 'g711 audio');
  assert.deepEqual(cam.audio, { codec: 'pcma', sampleRate: 8000, channels: 1 });
  assert.equal(await pub.exited, 0, pub.stderr());
  const audio = frames.filter((f) => f.track === 'audio');
  // 3 s of 8 kHz 8-bit samples, as sent (give or take the last packet)
  const bytes = audio.reduce((n, f) => n + f.payload.length, 0);
  assert.ok(Math.abs(bytes - 24_000) < 2_000, `${bytes} bytes of A-law`);
});

test('an ffmpeg publish with a 1080p stream and the default chunk size path reports 1920x1080 (cropped SPS)', async () => {
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/g711`, { seconds: 2, size: '1920x1080', fps: 30, audio: false });
  const cam = await waitFor(async () => {
    const c = await camera('g711');
    return c.live && c.video ? c : null;
  }, '1080p live');
  assert.deepEqual(cam.video, { codec: 'h264', width: 1920, height: 1080, fps: 30 });
  assert.equal(cam.audio, null);
  assert.equal(await pub.exited, 0, pub.stderr());
});
