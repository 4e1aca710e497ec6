import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { CameraConfig, Config } from '../config/schema.js';
import { StreamHub } from '../hub/stream-hub.js';
import { RtmpServer } from '../rtmp/server.js';
import { LivePlayGate, type PlayLimits } from '../live/rtmp-play.js';
import type { ViewerCap } from '../live/viewer-cap.js';
import { Ingest, type PublishLog } from './ingest.js';

export interface StartedIngest {
  port: number;
  /** the bound RTMPS port, null when rtmp.tls is off */
  tlsPort: number | null;
  /** who may publish: follows cameras added, edited and removed at runtime (setCamera, removeCamera) */
  ingest: Ingest;
  stop(): Promise<void>;
}

/** One live stream per configured camera. */
export function createHub(config: Pick<Config, 'cameras' | 'rtmp'>, log: Logger): StreamHub {
  return new StreamHub({ cameras: config.cameras, staleTakeoverMs: config.rtmp.limits.staleTakeoverMs, log });
}

/** The RTMP server that feeds the hub, configured from `rtmp` and `cameras`. */
export async function startIngest(opts: {
  rtmp: Config['rtmp'];
  cameras: CameraConfig[];
  hub: StreamHub;
  publishLog?: PublishLog;
  /** RTMP players: backlog limits and the viewer cap (the `live` section) */
  play?: { limits: PlayLimits; cap?: ViewerCap };
  log: Logger;
}): Promise<StartedIngest> {
  const { rtmp, cameras, hub, log } = opts;
  const ingest = new Ingest({ cameras, hub, log, publishLog: opts.publishLog, allowPublishFrom: rtmp.allowPublishFrom });
  const server = new RtmpServer({
    host: rtmp.host,
    port: rtmp.port,
    maxConnections: rtmp.limits.maxConnections,
    maxConnectionsPerAddress: rtmp.limits.maxConnectionsPerAddress,
    connection: {
      handshakeTimeoutMs: rtmp.limits.handshakeTimeoutMs,
      idleTimeoutMs: rtmp.limits.idleTimeoutMs,
      chunk: {
        maxMessageBytes: rtmp.limits.maxMessageBytes,
        maxChunkSize: rtmp.limits.maxChunkSize,
        maxChunkStreams: rtmp.limits.maxChunkStreams,
        // one large message in flight per stream plus small interleaved ones
        maxPendingBytes: 2 * rtmp.limits.maxMessageBytes,
      },
    },
    tls: rtmp.tls.enabled ? { host: rtmp.tls.host, port: rtmp.tls.port, context: secureContext(rtmp.tls) } : undefined,
    gate: ingest,
    playGate: new LivePlayGate(hub, log, opts.play?.limits, Date.now, opts.play?.cap),
    log,
  });
  const port = await server.listen();
  return {
    port,
    tlsPort: server.tlsPort,
    ingest,
    stop: async () => {
      hub.closeAll('server shutting down');
      await server.close();
    },
  };
}

/** The certificate and key (config loading has already checked they parse and match). */
function secureContext(tls: Config['rtmp']['tls']): SecureContext {
  return createSecureContext({ cert: readFileSync(tls.cert!), key: readFileSync(tls.key!) });
}
