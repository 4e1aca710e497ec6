/**
 * MQTT alerts with the `mqtt` package: per-camera motion state (retained
 * ON/OFF), the event JSON and snapshot, an availability topic with a last
 * will, and Home Assistant discovery. The client reconnects by itself; while
 * it is offline messages are dropped, not queued, and on every (re)connect
 * the current states are published again, so a broker restart loses nothing
 * that matters.
 */
import { randomBytes } from 'node:crypto';
import { connect, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { EventBus, EventNotice } from './event-bus.js';
import { eventJson } from './event-json.js';
import { discoveryMessages, type DiscoveryCamera } from './home-assistant.js';
import { mqttTopics, type MqttTopics } from './mqtt-topics.js';

export interface MqttConfig {
  url: string;
  username: string | null;
  password: string | null;
  clientId: string | null;
  topicPrefix: string;
  discovery: boolean;
  discoveryPrefix: string;
  qos: number;
}

export class MqttNotifier {
  private readonly client: MqttClient;
  readonly topics: MqttTopics;
  /** what each camera's state topic should say */
  private readonly active = new Map<string, boolean>();
  private lastError: string | null = null;
  /** cameras removed at runtime whose discovery configs still have to be cleared */
  private readonly retired = new Map<string, DiscoveryCamera>();
  published = 0;

  constructor(
    private readonly cfg: MqttConfig,
    private cameras: DiscoveryCamera[],
    private readonly version: string,
    private readonly log: Logger,
  ) {
    this.topics = mqttTopics(cfg.topicPrefix);
    for (const c of cameras) this.active.set(c.id, false);
    this.client = connect(cfg.url, {
      clientId: cfg.clientId ?? `lan-nvr-${randomBytes(4).toString('hex')}`,
      username: cfg.username ?? undefined,
      password: cfg.password ?? undefined,
      reconnectPeriod: 5000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      this.lastError = null;
      this.log.info({ url: cfg.url }, 'MQTT connected');
      this.announce();
    });
    this.client.on('error', (err) => {
      // the client retries by itself; say so once per distinct failure
      if (err.message !== this.lastError) this.log.warn({ url: cfg.url, err: err.message }, 'MQTT error');
      this.lastError = err.message;
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  attach(bus: EventBus): () => void {
    return bus.subscribe((n) => this.notify(n));
  }

  notify(n: EventNotice): void {
    const cam = n.event.cameraId;
    this.active.set(cam, n.phase === 'start');
    if (!this.client.connected) return;
    const json = JSON.stringify({ ...eventJson(n.event), phase: n.phase });
    this.publish(this.topics.motion(cam), n.phase === 'start' ? 'ON' : 'OFF', true);
    this.publish(this.topics.event(cam), json, true);
    this.publish(this.topics.events, json, false);
    if (n.snapshot) this.publish(this.topics.snapshot(cam), n.snapshot, true);
  }

  /**
   * The cameras changed at runtime (src/cameras/): discovery is published for
   * the current ones (new names included) and cleared, with the empty
   * retained config Home Assistant takes as "remove", for those gone. While
   * disconnected, both wait for the next connect.
   */
  setCameras(cameras: DiscoveryCamera[]): void {
    const ids = new Set(cameras.map((c) => c.id));
    for (const c of this.cameras) if (!ids.has(c.id)) this.retired.set(c.id, c);
    for (const c of cameras) {
      this.retired.delete(c.id);
      if (!this.active.has(c.id)) this.active.set(c.id, false);
    }
    for (const id of this.active.keys()) if (!ids.has(id)) this.active.delete(id);
    this.cameras = cameras;
    if (this.client.connected) this.announce();
  }

  /** Says "offline" (as the will would) and disconnects. */
  async stop(): Promise<void> {
    if (this.client.connected) {
      await Promise.race([
        this.client.publishAsync(this.topics.status, 'offline', { qos: 1, retain: true }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
    }
    await Promise.race([this.client.endAsync(), new Promise((r) => setTimeout(r, 2000))]);
    this.client.end(true);
  }

  /** On (re)connect: availability, discovery, and every camera's current state. */
  private announce(): void {
    this.publish(this.topics.status, 'online', true);
    if (this.cfg.discovery) {
      for (const cam of this.retired.values()) {
        for (const m of discoveryMessages(this.cfg.discoveryPrefix, this.topics, cam, this.version)) this.publish(m.topic, '', true);
      }
      this.retired.clear();
      for (const cam of this.cameras) {
        for (const m of discoveryMessages(this.cfg.discoveryPrefix, this.topics, cam, this.version)) this.publish(m.topic, m.payload, true);
      }
    }
    for (const [cam, on] of this.active) this.publish(this.topics.motion(cam), on ? 'ON' : 'OFF', true);
  }

  private publish(topic: string, payload: string | Buffer, retain: boolean): void {
    const opts: IClientPublishOptions = { qos: this.cfg.qos as 0 | 1 | 2, retain };
    this.client.publish(topic, payload, opts, (err) => {
      if (err) this.log.debug({ topic, err: err.message }, 'MQTT publish failed');
    });
    this.published++;
  }
}
