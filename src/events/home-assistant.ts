/**
 * Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery):
 * per camera a `binary_sensor` (device_class motion) on our state topic, with
 * the event JSON as its attributes, and a `camera` showing the last event's
 * snapshot. Retained, so Home Assistant finds them whenever it starts.
 */
import type { MqttTopics } from './mqtt-topics.js';

export interface DiscoveryCamera {
  id: string;
  name: string;
}

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/** HA's node_id and object ids allow [a-zA-Z0-9_-] only. */
export function haId(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, '_');
}

export function discoveryMessages(discoveryPrefix: string, topics: MqttTopics, cam: DiscoveryCamera, version: string): DiscoveryMessage[] {
  const node = haId(topics.prefix);
  const object = haId(cam.id);
  const availability = { availability_topic: topics.status, payload_available: 'online', payload_not_available: 'offline' };
  const device = {
    identifiers: [`${node}_${object}`],
    name: cam.name,
    manufacturer: 'lan-nvr',
    model: 'RTMP camera',
    sw_version: version,
  };
  return [
    {
      topic: `${discoveryPrefix}/binary_sensor/${node}/${object}_motion/config`,
      payload: JSON.stringify({
        name: 'Motion',
        unique_id: `${node}_${object}_motion`,
        device_class: 'motion',
        state_topic: topics.motion(cam.id),
        payload_on: 'ON',
        payload_off: 'OFF',
        json_attributes_topic: topics.event(cam.id),
        ...availability,
        device,
      }),
    },
    {
      topic: `${discoveryPrefix}/camera/${node}/${object}_snapshot/config`,
      payload: JSON.stringify({
        name: 'Last motion',
        unique_id: `${node}_${object}_snapshot`,
        topic: topics.snapshot(cam.id),
        ...availability,
        device,
      }),
    },
  ];
}
