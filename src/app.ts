import { networkInterfaces } from 'node:os';
import type { Config } from './config/schema.js';
import { packageVersion } from './config/package-root.js';
import type { CameraStatusSource } from './hub/camera-status.js';
import type { Logger } from './log/logger.js';
import { buildHttpServer, closeHttp, listenHttp } from './http/server.js';
import { startStorage, type Storage } from './storage/storage.js';
import { createHub, startIngest } from './ingest/start-ingest.js';
import type { StreamHub } from './hub/stream-hub.js';
import { recoverRecordings } from './recording/recovery.js';
import { startRecording } from './recording/start-recording.js';
import { HlsLive } from './live/hls/hls-live.js';
import { liveViewerCounts, ViewerCap } from './live/viewer-cap.js';
import { DiskGate } from './retention/disk-gate.js';
import { startRetention } from './retention/start-retention.js';
import type { Retention } from './retention/retention.js';
import { EventBus } from './events/event-bus.js';
import { EventStore } from './events/event-store.js';
import { startAlerts } from './events/start-alerts.js';
import { startMotion, type StartedMotion } from './motion/start-motion.js';
import { startAuth } from './auth/start-auth.js';
import { CameraRegistry } from './cameras/camera-registry.js';
import { CameraStore } from './cameras/camera-store.js';
import { followCameras } from './cameras/follow-cameras.js';

export interface App {
  /** Bound ports: the real ones when the config asked for 0. */
  readonly httpPort: number;
  readonly rtmpPort: number;
  /** the bound RTMPS port, null when rtmp.tls is off */
  readonly rtmpsPort: number | null;
  readonly storage: Storage;
  /** the cameras: config file overlaid by API changes; modules follow its changes */
  readonly cameras: CameraRegistry;
  /** live streams per camera: later modules (recorder, motion, live view) attach here */
  readonly hub: StreamHub;
  /** footage deletion and the free-space floor */
  readonly retention: Retention;
  /** motion detection per camera: thumbnails, events and their bus */
  readonly motion: StartedMotion;
  /** Stops accepting, stops modules in reverse start order, closes the db. Idempotent. */
  stop(): Promise<void>;
}

/** What every module's start function hands back. */
interface Started {
  name: string;
  stop(): Promise<void> | void;
}

/**
 * The modules in start order. Each has one start function that reads its
 * own config section; if one fails, those already started are stopped.
 */
export async function startApp(config: Config, logger: Logger): Promise<App> {
  const started: Started[] = [];
  const stopAll = async (): Promise<void> => {
    for (const mod of [...started].reverse()) {
      try {
        await mod.stop();
        logger.debug({ module: mod.name }, 'stopped');
      } catch (err) {
        logger.error({ err, module: mod.name }, 'stop failed'); // keep going: the db must still close
      }
    }
  };

  try {
    // 1. Storage: open, migrate, end sessions a crash left open.
    const storage = startStorage(config.dataDir, logger.child({ module: 'storage' }));
    started.push({ name: 'storage', stop: storage.stop });

    // 1b. Access control: users, API tokens, sessions; on a first start, the admin and its password (printed once).
    const auth = await startAuth({ config: config.auth, db: storage.db, log: logger.child({ module: 'auth' }) });
    started.push({ name: 'auth', stop: auth.stop });

    // 1c. The cameras: the config file's, overlaid by those added, edited or deleted through the API.
    const registry = new CameraRegistry({
      config: config.cameras,
      store: new CameraStore(storage.db),
      maxCameras: config.maxCameras,
      log: logger.child({ module: 'cameras' }),
    });
    const cameraList = registry.list();

    // 2. Recordings a crash left open are finalised before anything new is written.
    await recoverRecordings({ dataDir: config.dataDir, segments: storage.segments, log: logger.child({ module: 'recovery' }) });

    // 3. The hub, and the consumers that attach to it before any publisher can connect.
    const hub = createHub({ cameras: cameraList, rtmp: config.rtmp }, logger.child({ module: 'hub' }));
    const diskGate = new DiskGate(); // retention holds recording here when the disk is full
    const recording = startRecording({
      cameras: cameraList,
      recording: config.recording,
      hub,
      segments: storage.segments,
      dataDir: config.dataDir,
      log: logger.child({ module: 'recording' }),
      storage: diskGate,
    });
    started.push({ name: 'recording', stop: recording.stop });

    // 3b. Retention: scheduled deletes, and the free-space floor as segments are written.
    const events = new EventStore(storage.db); // footage around motion events is kept longer
    const retention = startRetention({ config: { ...config, cameras: cameraList }, segments: storage.segments, gate: diskGate, log: logger.child({ module: 'retention' }), events });
    started.push({ name: 'retention', stop: () => retention.stop() });

    // 3c. Motion: alerts first, so they still hear the events that end at shutdown; then the per-camera decoders.
    const bus = new EventBus(logger.child({ module: 'events' }));
    const alerts = startAlerts({ alerts: config.alerts, cameras: cameraList, bus, version: packageVersion(), log: logger.child({ module: 'alerts' }) });
    started.push({ name: 'alerts', stop: alerts.stop });
    const motion = startMotion({ cameras: () => registry.list(), motion: config.motion, hub, db: storage.db, events, bus, log: logger.child({ module: 'motion' }) });
    started.push({ name: 'motion', stop: motion.stop });

    // 3d. Live view: HLS packagers start on a camera's first playlist request; their clients count as viewers,
    // capped together with HTTP, WebSocket and RTMP players.
    const hls = new HlsLive({ hub, log: logger.child({ module: 'hls' }) });
    const viewerCap = new ViewerCap(config.live, liveViewerCounts(hub, hls), logger.child({ module: 'live' }));
    const viewerLimits = { maxBufferedBytes: config.live.maxViewerBacklogBytes, maxBehindMs: config.live.maxViewerLagMs };

    // 4. RTMP ingest: publishers' frames flow into the hub from here on.
    const ingest = await startIngest({
      play: { limits: viewerLimits, cap: viewerCap },
      rtmp: config.rtmp,
      cameras: cameraList,
      hub,
      publishLog: storage.publishSessions,
      log: logger.child({ module: 'rtmp' }),
    });
    started.push({ name: 'rtmp', stop: ingest.stop });
    const rtmpPort = ingest.port;
    // from here on every module follows cameras added, edited and deleted at runtime
    const unfollow = followCameras(registry, { hub, ingest: ingest.ingest, recording, motion, retention, hls, alerts }, logger.child({ module: 'cameras' }));
    started.push({ name: 'cameras', stop: unfollow });
    const cameras: CameraStatusSource = {
      list: () =>
        registry.list().flatMap((cam) => {
          const c = hub.statusOf(cam.id);
          return c ? [{ ...c, viewers: c.viewers + hls.viewers(c.id), source: cam.source }] : [];
        }),
    };
    // footage, thumbnails and events of a deleted camera stay browsable by its id until retention removes them
    const footageIds = (): string[] => [...new Set([...registry.ids(), ...storage.segments.cameraIds()])];

    // 5. HTTP API (last, so it never serves from half-started modules).
    const http = buildHttpServer({
      logger,
      limits: config.http.limits,
      cameras,
      version: packageVersion(),
      recordings: { segments: storage.segments, dataDir: config.dataDir, cameraIds: footageIds },
      live: { hub, cameraIds: () => registry.ids(), limits: viewerLimits, cap: viewerCap },
      hls,
      storage: { status: () => retention.status() },
      motion: { events, bus, thumbnails: motion.thumbnails, cameraIds: () => [...new Set([...footageIds(), ...events.cameraIds()])] },
      cameraAdmin: {
        registry,
        rtmp: { host: config.rtmp.host, port: rtmpPort },
        rtmps: ingest.tlsPort === null ? null : { host: config.rtmp.tls.host, port: ingest.tlsPort },
        fallbackHost: () => displayHost('0.0.0.0'),
      },
      auth,
    });
    started.push({ name: 'http', stop: () => closeHttp(http) });
    const httpPort = await listenHttp(http, config.http.port, config.http.host);

    logger.info({ ...listeningLine(config, httpPort, rtmpPort, ingest.tlsPort), cameras: registry.ids() }, 'listening');
    let stopping: Promise<void> | undefined;
    return {
      httpPort,
      rtmpPort,
      rtmpsPort: ingest.tlsPort,
      storage,
      cameras: registry,
      hub,
      retention,
      motion,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Fields of the start-up line: bound ports (tests read them) and URLs to paste. */
function listeningLine(config: Config, httpPort: number, rtmpPort: number, rtmpsPort: number | null): Record<string, unknown> {
  const line: Record<string, unknown> = {
    http: httpPort,
    rtmp: rtmpPort,
    httpUrl: `http://${displayHost(config.http.host)}:${httpPort}/`,
    dataDir: config.dataDir,
    cameras: config.cameras.map((c) => c.id),
  };
  line.publishUrl = `rtmp://${displayHost(config.rtmp.host)}:${rtmpPort}/live/<cameraId>`;
  if (rtmpsPort !== null) {
    line.rtmps = rtmpsPort;
    line.publishUrlTls = `rtmps://${displayHost(config.rtmp.tls.host)}:${rtmpsPort}/live/<cameraId>`;
  }
  return line;
}

/** A wildcard listen address is not something a camera can connect to: name a LAN address. */
function displayHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host.includes(':') ? `[${host}]` : host;
  for (const addrs of Object.values(networkInterfaces())) {
    const lan = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (lan) return lan.address;
  }
  return 'localhost';
}
