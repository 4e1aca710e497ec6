import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, run, waitFor } from '../helpers/media-tools.js';

let t: TestApp;

before(async () => {
  t = await startTestApp({
    cameras: [
      { id: 'front-door', name: 'Front door', streamKey: 's3cret' },
      { id: 'yard' },
      { id: 'gst' },
    ],
  });
});
after(() => t.stop());

const camera = async (id: string) => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === id)!;

test('ffmpeg publishes H.264 + AAC with a stream key; /api/cameras reports codecs, size, fps, bitrate', async () => {
  const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/front-door?key=s3cret`, { seconds: 5, size: '640x360', fps: 25 });
  const cam = await waitFor(async () => {
    const c = await camera('front-door');
    return c.live && c.video && c.audio && c.bitrateKbps > 0 ? c : null;
  }, 'front-door live with codecs');
  assert.equal(cam.name, 'Front door');
  assert.deepEqual(cam.video, { codec: 'h264', width: 640, height: 360, fps: 25 });
  assert.deepEqual(cam.audio, { codec: 'aac', sampleRate: 48000, channels: 2 });
  assert.equal(await pub.exited, 0, pub.stderr());
  await waitFor(async () => !(await camera('front-door')).live, 'front-door offline after unpublish');
  const started = t.logs.find((l) => l.msg === 'publish started' && l.camera === 'front-door');
  assert.ok(started && typeof started.peer === 'string' && String(started.peer).startsWith('127.0.0.1:'));
});

test('wrong key, missing key and unknown camera are refused with a log line naming camera and peer', async () => {
  for (const [url, camId, code] of [
    [`rtmp://127.0.0.1:${t.rtmpPort}/live/front-door?key=nope`, 'front-door', 'BAD_KEY'],
    [`rtmp://127.0.0.1:${t.rtmpPort}/live/front-door`, 'front-door', 'BAD_KEY'],
    [`rtmp://127.0.0.1:${t.rtmpPort}/live/garage`, 'garage', 'UNKNOWN_CAMERA'],
  ]) {
    const pub = ffmpegPublish(url, { seconds: 2 });
    const code_ = await pub.exited;
    assert.notEqual(code_, 0, `${url} should be refused`);
    const line = t.logs.find((l) => l.msg?.toString().startsWith('publish refused') && l.camera === camId && l.code === code);
    assert.ok(line, `no refusal log line for ${url}`);
    assert.match(String(line.peer), /^127\.0\.0\.1:\d+$/);
  }
  assert.equal((await camera('front-door')).live, false);
});

test('GStreamer rtmp2sink publishes; codecs, size and fps reported', async () => {
  const gst = run('gst-launch-1.0', [
    '-q',
    'videotestsrc', 'is-live=true', 'num-buffers=150', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!',
    'x264enc', 'tune=zerolatency', 'key-int-max=30', 'speed-preset=ultrafast', '!', 'h264parse', '!',
    'flvmux', 'streamable=true', 'name=mux', '!', 'rtmp2sink', `location=rtmp://127.0.0.1:${t.rtmpPort}/live/gst`,
    'audiotestsrc', 'is-live=true', 'num-buffers=200', '!', 'audioconvert', '!', 'audioresample', '!', 'audio/x-raw,rate=44100,channels=1', '!', 'avenc_aac', '!', 'mux.',
  ]);
  const cam = await waitFor(async () => {
    const c = await camera('gst');
    return c.live && c.video && c.audio ? c : null;
  }, 'gst live', 15_000);
  assert.deepEqual(cam.video, { codec: 'h264', width: 320, height: 240, fps: 30 });
  assert.deepEqual(cam.audio, { codec: 'aac', sampleRate: 44100, channels: 1 });
  await gst.exited;
});
