import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { EventRow } from '../../src/events/event-store.js';
import { MqttNotifier, type MqttConfig } from '../../src/events/mqtt-notifier.js';
import { startMosquitto, haveMosquitto, subscribeAll, type Broker, type Received } from './mosquitto.js';
import type { MqttClient } from 'mqtt';

const skip = haveMosquitto() ? false : 'mosquitto is not installed (apt-get install mosquitto)';
const log = pino({ level: 'silent' });
let broker: Broker;
let sub: { client: MqttClient; got: Received[] };

before(async () => {
  if (skip) return;
  broker = await startMosquitto();
  sub = await subscribeAll(broker.url);
});
after(async () => {
  if (skip) return;
  await sub.client.endAsync();
  await broker.stop();
});

const cfg = (url: string): MqttConfig => ({ url, username: null, password: null, clientId: null, topicPrefix: 'nvrtest', discovery: true, discoveryPrefix: 'homeassistant', qos: 1 });
const row = (endMs: number | null): EventRow => ({
  id: 7, cameraId: 'front', type: 'motion', startMs: 1_795_000_000_000, endMs, peakScore: 4, peakMs: 1_795_000_000_000, zones: ['door'], endReason: endMs ? 'quiet' : null, hasSnapshot: true,
});

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const last = (topic: string, after = 0) => sub.got.slice(after).filter((m) => m.topic === topic).at(-1);

test('discovery, availability and states on connect; ON/OFF, event JSON and snapshot per event; offline at stop', { skip }, async () => {
  const n = new MqttNotifier(cfg(broker.url), [{ id: 'front', name: 'Front door' }], '1.2.3', log);
  await until('online', () => last('nvrtest/status')?.payload.toString() === 'online' || undefined);
  const sensor = await until('binary_sensor config', () => last('homeassistant/binary_sensor/nvrtest/front_motion/config'));
  const config = JSON.parse(sensor.payload.toString());
  assert.equal(sensor.retain, false, 'live delivery to an existing subscriber is not flagged retained');
  assert.deepEqual(
    [config.device_class, config.state_topic, config.availability_topic, config.json_attributes_topic, config.unique_id, config.device.name],
    ['motion', 'nvrtest/front/motion', 'nvrtest/status', 'nvrtest/front/event', 'nvrtest_front_motion', 'Front door'],
  );
  const camera = JSON.parse((await until('camera config', () => last('homeassistant/camera/nvrtest/front_snapshot/config'))).payload.toString());
  assert.equal(camera.topic, 'nvrtest/front/snapshot');
  assert.equal((await until('initial state', () => last('nvrtest/front/motion'))).payload.toString(), 'OFF');

  const mark = sub.got.length;
  const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
  n.notify({ phase: 'start', event: row(null), snapshot: jpeg });
  await until('ON', () => (last('nvrtest/front/motion', mark)?.payload.toString() === 'ON' ? true : undefined));
  const ev = JSON.parse((await until('event', () => last('nvrtest/front/event', mark))).payload.toString());
  assert.deepEqual([ev.id, ev.phase, ev.end, ev.zones], [7, 'start', null, ['door']]);
  assert.deepEqual((await until('snapshot', () => last('nvrtest/front/snapshot', mark))).payload, jpeg);
  assert.ok(await until('all-cameras stream', () => last('nvrtest/events', mark)));
  n.notify({ phase: 'end', event: row(1_795_000_005_000), snapshot: null });
  await until('OFF', () => (last('nvrtest/front/motion', mark)?.payload.toString() === 'OFF' ? true : undefined));

  // a fresh subscriber gets the retained state of everything
  const late = await subscribeAll(broker.url);
  const retained = await until('retained state', () => late.got.find((m) => m.topic === 'nvrtest/front/motion'));
  assert.deepEqual([retained.payload.toString(), retained.retain], ['OFF', true]);
  await late.client.endAsync();

  const before = sub.got.length;
  await n.stop();
  await until('offline', () => (last('nvrtest/status', before)?.payload.toString() === 'offline' ? true : undefined));
});

test('a broker that restarts gets the states again; events while it was down are not queued', { skip }, async () => {
  const n = new MqttNotifier(cfg(broker.url), [{ id: 'front', name: 'Front door' }], '1.2.3', log);
  await until('connected', () => (n.connected ? true : undefined));
  await broker.stop();
  await until('disconnected', () => (!n.connected ? true : undefined));
  n.notify({ phase: 'start', event: row(null), snapshot: null }); // dropped, but remembered as the state
  broker = await startMosquitto(broker.port);
  const mark = sub.got.length;
  await until('state after reconnect', () => (last('nvrtest/front/motion', mark)?.payload.toString() === 'ON' ? true : undefined), 20_000);
  assert.equal(last('nvrtest/front/event', mark), undefined, 'the event itself was not queued');
  await n.stop();
});
