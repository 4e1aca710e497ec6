/** MQTT Home Assistant discovery follows cameras added, renamed and removed at runtime (real mosquitto). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { MqttNotifier } from '../../src/events/mqtt-notifier.js';
import { haveMosquitto, startMosquitto, subscribeAll, type Broker, type Received } from '../events/mosquitto.js';

const skip = haveMosquitto() ? false : 'mosquitto is not installed (apt-get install mosquitto)';
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

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sensor = (id: string) => `homeassistant/binary_sensor/nvrcams/${id}_motion/config`;
const snapshot = (id: string) => `homeassistant/camera/nvrcams/${id}_snapshot/config`;
const lastOn = (topic: string, from: number) => sub.got.slice(from).filter((m) => m.topic === topic).at(-1);

test('discovery: added and renamed cameras announced, removed ones cleared with an empty retained config', { skip }, async () => {
  const n = new MqttNotifier(
    { url: broker.url, username: null, password: null, clientId: null, topicPrefix: 'nvrcams', discovery: true, discoveryPrefix: 'homeassistant', qos: 1 },
    [{ id: 'a', name: 'A' }],
    '1.0.0',
    pino({ level: 'silent' }),
  );
  try {
    await until('a announced', () => lastOn(sensor('a'), 0));
    const mark = sub.got.length;
    n.setCameras([
      { id: 'a', name: 'A renamed' },
      { id: 'b', name: 'B' },
    ]);
    const b = await until('b announced', () => lastOn(sensor('b'), mark));
    assert.equal(JSON.parse(b.payload.toString()).device.name, 'B');
    assert.equal((await until('b state', () => lastOn('nvrcams/b/motion', mark))).payload.toString(), 'OFF');
    assert.equal(JSON.parse((await until('a renamed', () => lastOn(sensor('a'), mark))).payload.toString()).device.name, 'A renamed');

    const mark2 = sub.got.length;
    n.setCameras([{ id: 'b', name: 'B' }]);
    const cleared = await until('a cleared', () => lastOn(sensor('a'), mark2));
    assert.equal(cleared.payload.length, 0);
    assert.equal((await until('a snapshot cleared', () => lastOn(snapshot('a'), mark2))).payload.length, 0);

    // a client arriving later sees only b's retained config: a is gone for Home Assistant
    const late = await subscribeAll(broker.url);
    await until('retained b', () => late.got.find((m) => m.topic === sensor('b')));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      late.got.some((m) => m.topic === sensor('a')),
      false,
    );
    await late.client.endAsync();
  } finally {
    await n.stop();
  }
});
