import type { Logger } from 'pino';
import type { CameraConfig, Config } from '../config/schema.js';
import { StreamHub } from '../hub/stream-hub.js';
import { RtmpServer } from '../rtmp/server.js';
import { Ingest, type PublishLog } from './ingest.js';

export interface StartedIngest {
  hub: StreamHub;
  port: number;
  stop(): Promise<void>;
}

/** The hub plus the RTMP server that feeds it, configured from `rtmp` and `cameras`. */
export async function startIngest(opts: {
  rtmp: Config['rtmp'];
  cameras: CameraConfig[];
  publishLog?: PublishLog;
  log: Logger;
}): Promise<StartedIngest> {
  const { rtmp, cameras, log } = opts;
  const hub = new StreamHub({ cameras, staleTakeoverMs: rtmp.limits.staleTakeoverMs, log });
  const ingest = new Ingest({ cameras, hub, log, publishLog: opts.publishLog });
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
    gate: ingest,
    log,
  });
  const port = await server.listen();
  return {
    hub,
    port,
    stop: async () => {
      hub.closeAll('server shutting down');
      await server.close();
    },
  };
}
