import net from 'node:net';
import type { Logger } from 'pino';
import { RtmpConnection, type ConnectionLimits } from './connection.js';
import { RtmpSession, type PlayGate, type PublishGate } from './session.js';

export interface RtmpServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  connection: ConnectionLimits;
  gate: PublishGate;
  playGate?: PlayGate;
  log: Logger;
}

/** Accepts RTMP connections within the configured limits; one RtmpConnection each. */
export class RtmpServer {
  private readonly server: net.Server;
  private readonly connections = new Set<RtmpConnection>();
  private readonly perAddress = new Map<string, number>();

  constructor(private readonly opts: RtmpServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (err) => opts.log.error({ err }, 'RTMP server error'));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting and closes every connection (publishers end their streams cleanly). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.close('server shutting down');
    await closed;
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.connections.size >= this.opts.maxConnections || fromAddress >= this.opts.maxConnectionsPerAddress) {
      const which = this.connections.size >= this.opts.maxConnections ? 'maxConnections' : 'maxConnectionsPerAddress';
      this.opts.log.warn({ peer: `${address}:${socket.remotePort}`, limit: which }, `RTMP connection refused: ${which} reached`);
      socket.destroy();
      return;
    }
    this.perAddress.set(address, fromAddress + 1);
    const log = this.opts.log.child({ peer: `${address}:${socket.remotePort}` });
    const conn = new RtmpConnection(socket, this.opts.connection, log, (c) => new RtmpSession(c, this.opts.gate, this.opts.playGate));
    this.connections.add(conn);
    socket.once('close', () => {
      this.connections.delete(conn);
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.perAddress.set(address, n);
      else this.perAddress.delete(address);
    });
  }
}
