/**
 * Wires every module to the camera registry: one listener that applies each
 * change to the modules in an order that keeps footage whole. Added: the hub's
 * stream first, then who may publish, then the consumers. Removed: publishes
 * are refused first, the recorder and detector finish (the open segment is
 * finalised with reason `camera-removed`), then the hub disconnects the
 * publisher and the viewers. A module that fails is logged; the others still
 * follow, and other cameras are never touched.
 */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import type { CameraChange, CameraFeed } from './camera-registry.js';

/** What each module offers to follow runtime camera changes. */
export interface CameraModules {
  hub: {
    add(cam: { id: string; name: string }): void;
    rename(cameraId: string, name: string): void;
    remove(cameraId: string, reason: string): void;
  };
  ingest: { setCamera(cam: CameraConfig): void; removeCamera(cameraId: string): void };
  recording: ModuleFollower;
  motion: ModuleFollower;
  retention: { setCameras(cameras: readonly CameraConfig[]): void };
  /** MQTT discovery (optional: absent in module tests) */
  alerts?: { setCameras(cameras: readonly CameraConfig[]): void };
  /** live HLS packagers (optional: absent in module tests) */
  hls?: { forget(cameraId: string): void };
}

export interface ModuleFollower {
  added(cam: CameraConfig): void;
  updated(old: CameraConfig, cam: CameraConfig): void;
  removed(cameraId: string): void;
}

export function followCameras(feed: CameraFeed, m: CameraModules, log: Logger): () => void {
  return feed.subscribe((change) => {
    const step = (module: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        log.error({ err, module, camera: change.camera.id, change: change.type }, 'module failed to follow a camera change');
      }
    };
    apply(change, m, step);
    step('retention', () => m.retention.setCameras(feed.list()));
    step('alerts', () => m.alerts?.setCameras(feed.list()));
  });
}

function apply(change: CameraChange, m: CameraModules, step: (module: string, fn: () => void) => void): void {
  const cam = change.camera;
  switch (change.type) {
    case 'added':
      step('hub', () => m.hub.add({ id: cam.id, name: cam.name }));
      step('ingest', () => m.ingest.setCamera(cam));
      step('recording', () => m.recording.added(cam));
      step('motion', () => m.motion.added(cam));
      return;
    case 'updated':
      if (change.old.name !== cam.name) step('hub', () => m.hub.rename(cam.id, cam.name));
      step('ingest', () => m.ingest.setCamera(cam));
      step('recording', () => m.recording.updated(change.old, cam));
      step('motion', () => m.motion.updated(change.old, cam));
      return;
    case 'removed':
      step('ingest', () => m.ingest.removeCamera(cam.id));
      step('recording', () => m.recording.removed(cam.id));
      step('motion', () => m.motion.removed(cam.id));
      step('hls', () => m.hls?.forget(cam.id));
      step('hub', () => m.hub.remove(cam.id, 'camera removed'));
      return;
  }
}
