import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

let t: TestApp;

before(async () => {
  t = await startTestApp({
    rtmp: { port: 0, host: '127.0.0.1', limits: { staleTakeoverMs: 1500, idleTimeoutMs: 4000 } },
    cameras: [{ id: 'cam1' }, { id: 'cam2', streamKey: 'k3y' }],
  });
});
after(() => t.stop());

const live = async (id: string) => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === id)!.live;
/** an AVC sequence header is enough to keep a publisher "sending" */
const keepAlive = (c: TestRtmpClient, ts: number) => c.audio(ts, Buffer.from([0xaf, 0x01, 0x21, 0x00]));

test('a digest-handshake client (Flash-era encoders) publishes; the server answers onFCPublish and StreamBegin', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort, { digest: true });
  assert.equal(await c.publish('cam1', { fcPublish: true }), 'NetStream.Publish.Start');
  assert.ok(c.commands.some((x) => x.name === 'onFCPublish'));
  const connectResult = c.commands.find((x) => x.name === '_result')!;
  assert.equal((connectResult.values[3] as Record<string, unknown>).code, 'NetConnection.Connect.Success');
  assert.equal(await live('cam1'), true);
  c.command(1, 'FCUnpublish', 6, null, 'cam1');
  await c.waitCommand('onStatus', 2);
  assert.equal(await live('cam1'), false);
  c.close();
});

test('a second publisher for a live, sending camera is refused; the first keeps going', async () => {
  const first = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await first.publish('cam1'), 'NetStream.Publish.Start');
  const timer = setInterval(() => keepAlive(first, 0), 200);
  try {
    const second = await TestRtmpClient.connect(t.rtmpPort);
    assert.equal(await second.publish('cam1'), 'NetStream.Publish.BadName');
    await second.waitClosed();
    assert.equal(first.closed, false);
    assert.equal(await live('cam1'), true);
  } finally {
    clearInterval(timer);
    first.close();
  }
  await waitFor(async () => !(await live('cam1')), 'cam1 offline');
});

test('a publisher silent for staleTakeoverMs is replaced by a reconnecting camera', async () => {
  const old = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await old.publish('cam1'), 'NetStream.Publish.Start');
  await new Promise((r) => setTimeout(r, 1700));
  const fresh = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await fresh.publish('cam1'), 'NetStream.Publish.Start');
  await old.waitClosed();
  assert.equal(await live('cam1'), true);
  assert.ok(t.logs.some((l) => l.msg === 'replacing a silent publisher' && l.camera === 'cam1'));
  fresh.close();
  await waitFor(async () => !(await live('cam1')), 'cam1 offline');
});

test('OBS-style "server + stream key": app live, name "<id>?key=..."; Wirecast publish(false) unpublishes', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('cam2?key=k3y'), 'NetStream.Publish.Start');
  assert.equal(await live('cam2'), true);
  c.command(1, 'publish', 5, null, false);
  await c.waitCommand('onStatus', 2);
  assert.equal(await live('cam2'), false);
  c.close();
});

test('publish before connect closes the connection with a log line', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  c.command(0, 'publish', 1, null, 'cam1', 'live');
  await c.waitClosed();
  assert.ok(t.logs.some((l) => l.code === 'COMMAND_BEFORE_CONNECT'));
});

test('a publisher that goes silent is closed after idleTimeoutMs and the camera goes offline', async () => {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  assert.equal(await c.publish('cam1'), 'NetStream.Publish.Start');
  await c.waitClosed(8000);
  assert.equal(await live('cam1'), false);
  assert.ok(t.logs.some((l) => l.msg === 'publish ended' && l.camera === 'cam1' && String(l.reason).startsWith('idle')));
});

test('publish sessions are written down with their end reason', async () => {
  const rows = t.app.storage.db.prepare('SELECT camera_id, end_reason, ended_at FROM publish_sessions ORDER BY id').all() as { camera_id: string; end_reason: string; ended_at: number | null }[];
  assert.ok(rows.length >= 5);
  assert.ok(rows.every((r) => r.ended_at !== null), 'every session ended');
  assert.ok(rows.some((r) => r.end_reason === 'replaced by a new publisher'));
});
