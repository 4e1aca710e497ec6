/** Our MQTT topic names, under alerts.mqtt.topicPrefix. */
export interface MqttTopics {
  prefix: string;
  /** "online" / "offline", retained; "offline" is also the last will */
  status: string;
  /** every event start and end, all cameras, not retained */
  events: string;
  /** "ON" / "OFF", retained */
  motion(cameraId: string): string;
  /** the camera's latest event JSON with its phase, retained */
  event(cameraId: string): string;
  /** the latest event's snapshot JPEG, retained */
  snapshot(cameraId: string): string;
}

export function mqttTopics(prefix: string): MqttTopics {
  return {
    prefix,
    status: `${prefix}/status`,
    events: `${prefix}/events`,
    motion: (id) => `${prefix}/${id}/motion`,
    event: (id) => `${prefix}/${id}/event`,
    snapshot: (id) => `${prefix}/${id}/snapshot`,
  };
}
