/**
 * Alerts end to end: a clip published over RTMP, its motion event delivered
 * to a local webhook receiver and to a real mosquitto broker (started here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { run, waitFor } from '../helpers/media-tools.js';
import { haveMosquitto, startMosquitto, subscribeAll, type Broker, type Received } from '../events/mosquitto.js';
import { makeFlvClip } from '../motion/clips.js';
import type { MqttClient } from 'mqtt';

const skip = haveMosquitto() ? false : 'mosquitto is not installed (apt-get install mosquitto)';
let t: TestApp;
let broker: Broker;
let sub: { client: MqttClient; got: Received[] };
let receiver: Server;
const hooks: Record<string, unknown>[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'nvr-alerts-'));

before(async () => {
  if (skip) return;
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  broker = await startMosquitto();
  sub = await subscribeAll(broker.url);
  t = await startTestApp({
    cameras: [{ id: 'yard', name: 'Yard', motion: { endSeconds: 3 } }, { id: 'quiet' }],
    alerts: {
      webhooks: [{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/nvr`, cameras: ['yard'] }],
      mqtt: { enabled: true, url: broker.url, topicPrefix: 'nvr-e2e' },
    },
  });
  makeFlvClip(join(tmp, 'yard.flv'), { seconds: 14, width: 640, height: 360, fps: 10, gopSeconds: 2, scene: { kind: 'box', intervals: [[5, 9]] } });
});

after(async () => {
  if (skip) return;
  await t.stop();
  await sub.client.endAsync();
  await broker.stop();
  receiver.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('a motion event reaches the webhook and MQTT (state, event, snapshot, Home Assistant discovery)', { skip }, async () => {
  const pub = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', join(tmp, 'yard.flv'), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/yard`]);
  assert.equal(await pub.exited, 0, pub.stderr());
  await waitFor(() => hooks.length >= 2, 'webhook start and end', 15_000);
  assert.deepEqual(hooks.map((h) => [h.cameraId, h.phase, h.type]), [
    ['yard', 'start', 'motion'],
    ['yard', 'end', 'motion'],
  ]);
  assert.equal(hooks[0].id, hooks[1].id);
  assert.equal(hooks[0].end, null);
  assert.equal(typeof hooks[1].endMs, 'number');
  const listed = await t.get<{ id: number }[]>(`/api/events?cameraId=yard&from=${Date.now() - 600_000}`);
  assert.deepEqual(listed.map((e) => e.id), [hooks[0].id]);

  const states = sub.got.filter((m) => m.topic === 'nvr-e2e/yard/motion').map((m) => m.payload.toString());
  assert.deepEqual(states, ['OFF', 'ON', 'OFF']);
  assert.ok(sub.got.some((m) => m.topic === 'nvr-e2e/yard/snapshot' && m.payload[0] === 0xff && m.payload[1] === 0xd8), 'snapshot JPEG');
  const events = sub.got.filter((m) => m.topic === 'nvr-e2e/events').map((m) => JSON.parse(m.payload.toString()));
  assert.deepEqual(events.map((e) => [e.id, e.phase]), [
    [hooks[0].id, 'start'],
    [hooks[0].id, 'end'],
  ]);
  const discovery = sub.got.filter((m) => m.topic.startsWith('homeassistant/')).map((m) => m.topic).sort();
  assert.deepEqual(discovery, [
    'homeassistant/binary_sensor/nvr-e2e/quiet_motion/config',
    'homeassistant/binary_sensor/nvr-e2e/yard_motion/config',
    'homeassistant/camera/nvr-e2e/quiet_snapshot/config',
    'homeassistant/camera/nvr-e2e/yard_snapshot/config',
  ]);
  assert.equal(sub.got.find((m) => m.topic === 'nvr-e2e/status')?.payload.toString(), 'online');
});
