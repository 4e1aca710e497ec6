/** A real MQTT broker for tests: Debian's mosquitto on a free loopback port. */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { connect, type MqttClient } from 'mqtt';

export function haveMosquitto(): boolean {
  return spawnSync('mosquitto', ['-h']).error === undefined;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Broker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts mosquitto (no config: local-only, anonymous) and resolves once it listens. */
export async function startMosquitto(port?: number): Promise<Broker> {
  const p = port ?? (await freePort());
  const proc = spawn('mosquitto', ['-p', String(p)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start: ${log}`)), 5000);
    const onData = (d: Buffer) => {
      log += d;
      if (/running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** A client subscribed to everything, collecting what arrives. */
export async function subscribeAll(url: string): Promise<{ client: MqttClient; got: Received[] }> {
  const client = connect(url, { reconnectPeriod: 200 });
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload, retain: packet.retain }));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe('#', (err) => (err ? reject(err) : resolve())));
    client.once('error', reject);
  });
  return { client, got };
}
