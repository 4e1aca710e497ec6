import net from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { RtmpConnection, type ConnectionLimits } from './connection.js';
import { RtmpSession, type PlayGate, type PublishGate } from './session.js';
import { startTls } from './tls-accept.js';

export interface RtmpServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  connection: ConnectionLimits;
  gate: PublishGate;
  playGate?: PlayGate;
  /** RTMPS: a second listener whose sockets are TLS-wrapped, then handled like plain RTMP */
  tls?: { host: string; port: number; context: SecureContext };
  log: Logger;
}

type Transport = 'rtmp' | 'rtmps';

/**
 * Accepts RTMP (and RTMPS) connections within the configured limits; one
 * RtmpConnection each. Both listeners share the connection counts, counted
 * from accept, so half-done TLS handshakes count too.
 */
export class RtmpServer {
  private readonly server: net.Server;
  private readonly tlsServer: net.Server | null;
  private readonly sockets = new Set<net.Socket>();
  private readonly connections = new Set<RtmpConnection>();
  private readonly perAddress = new Map<string, number>();
  private boundTlsPort: number | null = null;

  constructor(private readonly opts: RtmpServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket, 'rtmp'));
    this.server.on('error', (err) => opts.log.error({ err }, 'RTMP server error'));
    this.tlsServer = opts.tls ? net.createServer((socket) => this.accept(socket, 'rtmps')) : null;
    this.tlsServer?.on('error', (err) => opts.log.error({ err }, 'RTMPS server error'));
  }

  /** Listens on the plain port (returned) and, when configured, the TLS port (see tlsPort). */
  async listen(): Promise<number> {
    const port = await listenOn(this.server, this.opts.port, this.opts.host);
    if (this.tlsServer && this.opts.tls) {
      try {
        this.boundTlsPort = await listenOn(this.tlsServer, this.opts.tls.port, this.opts.tls.host);
      } catch (err) {
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        throw err;
      }
    }
    return port;
  }

  /** The bound RTMPS port, or null without TLS. */
  get tlsPort(): number | null {
    return this.boundTlsPort;
  }

  /** Open sockets, both transports, TLS handshakes included. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stops accepting and closes every connection (publishers end their streams cleanly). */
  async close(): Promise<void> {
    const closing = [this.server, this.tlsServer].filter((s) => s?.listening).map((s) => new Promise<void>((resolve) => s!.close(() => resolve())));
    for (const c of this.connections) c.close('server shutting down');
    for (const s of this.sockets) s.destroy(); // TLS handshakes still under way
    await Promise.all(closing);
  }

  private accept(socket: net.Socket, transport: Transport): void {
    const address = socket.remoteAddress ?? 'unknown';
    const peer = `${address}:${socket.remotePort}`;
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.sockets.size >= this.opts.maxConnections || fromAddress >= this.opts.maxConnectionsPerAddress) {
      const which = this.sockets.size >= this.opts.maxConnections ? 'maxConnections' : 'maxConnectionsPerAddress';
      this.opts.log.warn({ peer, transport, limit: which }, `RTMP connection refused: ${which} reached`);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.sockets.delete(socket);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
    });
    const log = this.opts.log.child({ peer, ...(transport === 'rtmps' ? { transport } : {}) });
    if (transport === 'rtmp') return this.serve(socket, log);
    socket.on('error', () => {}); // the TLS layer reports; an unhandled raw error would crash the process
    startTls(socket, {
      context: this.opts.tls!.context,
      timeoutMs: this.opts.connection.handshakeTimeoutMs,
      log,
      onSecure: (tlsSocket) => this.serve(tlsSocket, log),
    });
  }

  private serve(socket: net.Socket, log: Logger): void {
    const conn = new RtmpConnection(socket, this.opts.connection, log, (c) => new RtmpSession(c, this.opts.gate, this.opts.playGate));
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }
}

async function listenOn(server: net.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}
