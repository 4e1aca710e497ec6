/** The alerts module: webhooks and MQTT, listening on the event bus. */
import type { Logger } from 'pino';
import type { AlertsConfig, CameraConfig } from '../config/schema.js';
import type { EventBus } from './event-bus.js';
import { MqttNotifier } from './mqtt-notifier.js';
import { WebhookNotifier } from './webhook-notifier.js';

export interface StartedAlerts {
  webhooks: WebhookNotifier[];
  mqtt: MqttNotifier | null;
  /** Cameras changed at runtime: MQTT discovery follows (those with motion enabled). */
  setCameras(cameras: readonly CameraConfig[]): void;
  stop(): Promise<void>;
}

export function startAlerts(opts: { alerts: AlertsConfig; cameras: CameraConfig[]; bus: EventBus; version: string; log: Logger }): StartedAlerts {
  const { alerts, bus, log } = opts;
  const detach: (() => void)[] = [];
  const webhooks = alerts.webhooks.map((w) => new WebhookNotifier(w, log));
  for (const w of webhooks) detach.push(w.attach(bus));
  let mqtt: MqttNotifier | null = null;
  if (alerts.mqtt.enabled) {
    mqtt = new MqttNotifier(alerts.mqtt, discoveryCameras(opts.cameras), opts.version, log);
    detach.push(mqtt.attach(bus));
  }
  if (webhooks.length > 0 || mqtt) log.info({ webhooks: webhooks.length, mqtt: alerts.mqtt.enabled ? alerts.mqtt.url : null }, 'alerts on');
  return {
    webhooks,
    mqtt,
    setCameras: (cameras) => mqtt?.setCameras(discoveryCameras(cameras)),
    async stop() {
      for (const d of detach) d();
      await Promise.all([...webhooks.map((w) => w.stop()), mqtt?.stop()]);
    },
  };
}

/** Home Assistant gets a motion sensor for each camera that detects motion. */
function discoveryCameras(cameras: readonly CameraConfig[]): { id: string; name: string }[] {
  return cameras.filter((c) => c.motion.enabled).map((c) => ({ id: c.id, name: c.name }));
}
