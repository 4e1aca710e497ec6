/**
 * The cameras the NVR runs with: the config file's cameras[] overlaid by the
 * cameras table, which the API writes. A row takes precedence over the config
 * entry of the same id (an edit made in the UI survives restarts whatever the
 * file says); a tombstone row keeps a deleted config camera deleted. Modules
 * follow changes through subscribe(): listeners are called synchronously, in
 * subscription order, after the change is stored.
 */
import type { Logger } from 'pino';
import type { CameraConfig } from '../config/schema.js';
import { isDeepStrictEqual } from 'node:util';
import { CameraError, newCamera, parseCamera, patchCamera, settingsInput } from './camera-input.js';
import type { CameraStore } from './camera-store.js';

/** Where a camera came from: the config file (possibly edited through the API since), or the API alone. */
export type CameraSource = 'config' | 'api';

export type Camera = CameraConfig & { readonly source: CameraSource };

export type CameraChange =
  | { type: 'added'; camera: Camera }
  | { type: 'updated'; old: Camera; camera: Camera }
  | { type: 'removed'; camera: Camera };

export type CameraListener = (change: CameraChange) => void;

/** What modules read: the cameras now, and their changes from now on. */
export interface CameraFeed {
  list(): Camera[];
  get(id: string): Camera | undefined;
  subscribe(listener: CameraListener): () => void;
}

export interface CameraRegistryOptions {
  /** the config file's cameras[], in file order */
  config: readonly CameraConfig[];
  store: CameraStore;
  /** cameras in total (config ones included) that the API may bring the list up to */
  maxCameras: number;
  log: Logger;
  now?: () => number;
}

export class CameraRegistry implements CameraFeed {
  /** in list order: config order, then API cameras by creation time */
  private cameras: Camera[] = [];
  private readonly listeners: CameraListener[] = [];
  private readonly configIds: Map<string, number>;
  /** creation time of each API-only camera, for ordering */
  private readonly created = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: CameraRegistryOptions) {
    this.now = opts.now ?? Date.now;
    this.configIds = new Map(opts.config.map((c, i) => [c.id, i]));
    this.load();
  }

  list(): Camera[] {
    return [...this.cameras];
  }

  ids(): string[] {
    return this.cameras.map((c) => c.id);
  }

  get(id: string): Camera | undefined {
    return this.cameras.find((c) => c.id === id);
  }

  subscribe(listener: CameraListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Adds a camera from an API body (validated); throws CameraError. */
  add(body: unknown): Camera {
    const settings = newCamera(body);
    if (this.get(settings.id)) throw new CameraError('CAMERA_EXISTS', `a camera with id "${settings.id}" exists`);
    if (this.cameras.length >= this.opts.maxCameras) {
      throw new CameraError('TOO_MANY_CAMERAS', `there are ${this.cameras.length} cameras, the most maxCameras allows`);
    }
    const now = this.now();
    this.opts.store.put(settings.id, JSON.stringify(settings), now);
    const camera = this.withSource(settings);
    if (camera.source === 'api') this.created.set(camera.id, now);
    this.cameras.push(camera);
    this.sort();
    this.opts.log.info({ camera: camera.id }, 'camera added');
    this.emit({ type: 'added', camera });
    return camera;
  }

  /**
   * Applies a partial update (camera-input.ts patchCamera); throws CameraError.
   * One that changes nothing stores nothing: a config camera saved unchanged
   * from the UI stays governed by the file.
   */
  update(id: string, body: unknown): Camera {
    const old = this.require(id);
    const settings = patchCamera(settingsOf(old), body);
    if (isDeepStrictEqual(settingsInput(settings), settingsInput(settingsOf(old)))) return old;
    this.opts.store.put(id, JSON.stringify(settings), this.now());
    const camera = this.withSource(settings);
    this.cameras[this.cameras.indexOf(old)] = camera;
    this.opts.log.info({ camera: id }, 'camera updated');
    this.emit({ type: 'updated', old, camera });
    return camera;
  }

  /** Deletes a camera: a config camera leaves a tombstone so it stays deleted; throws CameraError. */
  remove(id: string): Camera {
    const camera = this.require(id);
    if (this.configIds.has(id)) this.opts.store.tombstone(id, this.now());
    else this.opts.store.delete(id);
    this.cameras.splice(this.cameras.indexOf(camera), 1);
    this.created.delete(id);
    this.opts.log.info({ camera: id }, 'camera deleted');
    this.emit({ type: 'removed', camera });
    return camera;
  }

  private require(id: string): Camera {
    const camera = this.get(id);
    if (!camera) throw new CameraError('CAMERA_NOT_FOUND', `no camera with id "${id}"`);
    return camera;
  }

  /** Config cameras, then the table's rows over them. A row that no longer validates is skipped, loudly. */
  private load(): void {
    const byId = new Map<string, Camera>(this.opts.config.map((c) => [c.id, { ...c, source: 'config' as const }]));
    for (const row of this.opts.store.all()) {
      if (row.settings === null) {
        byId.delete(row.id);
        continue;
      }
      try {
        const settings = parseCamera(JSON.parse(row.settings));
        if (settings.id !== row.id) throw new Error(`its settings name id "${settings.id}"`);
        byId.set(row.id, this.withSource(settings));
        if (!this.configIds.has(row.id)) this.created.set(row.id, row.createdAt);
      } catch (err) {
        this.opts.log.error({ camera: row.id, err: (err as Error).message }, 'stored camera settings are invalid: ignored (the config entry, if any, is used)');
      }
    }
    if (byId.size > this.opts.maxCameras) {
      this.opts.log.warn({ cameras: byId.size, maxCameras: this.opts.maxCameras }, 'more cameras than maxCameras: no more can be added');
    }
    this.cameras = [...byId.values()];
    this.sort();
  }

  private withSource(settings: CameraConfig): Camera {
    return { ...settings, source: this.configIds.has(settings.id) ? 'config' : 'api' };
  }

  /** Config order first, then API cameras oldest first. */
  private sort(): void {
    const key = (c: Camera): [number, number] => {
      const i = this.configIds.get(c.id);
      return i !== undefined ? [0, i] : [1, this.created.get(c.id) ?? 0];
    };
    this.cameras.sort((a, b) => {
      const [ga, ka] = key(a);
      const [gb, kb] = key(b);
      return ga - gb || ka - kb || (a.id < b.id ? -1 : 1);
    });
  }

  /** A listener that throws is logged; the change stands and the other listeners still hear it. */
  private emit(change: CameraChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.opts.log.error({ err, camera: change.camera.id, change: change.type }, 'a module failed to follow a camera change');
      }
    }
  }
}

/** The camera's settings alone, as the config schema has them. */
export function settingsOf(camera: Camera): CameraConfig {
  const { source: _source, ...settings } = camera;
  return settings;
}
