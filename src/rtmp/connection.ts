import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { NvrError } from '../errors.js';
import { ChunkReader, type ChunkReaderLimits } from './chunk-reader.js';
import { ChunkWriter, type OutgoingMessage } from './chunk-writer.js';
import { ServerHandshake } from './handshake.js';
import { MessageType, type RawMessage } from './message-types.js';
import { acknowledgement, readU32Body } from './messages/control.js';
import { readUserControl, UserControlEvent, userControl } from './messages/user-control.js';

export interface ConnectionLimits {
  /** the handshake must complete within this */
  handshakeTimeoutMs: number;
  /** a connection that sends nothing for this long is closed */
  idleTimeoutMs: number;
  chunk: ChunkReaderLimits;
}

/** What happens with messages above the chunk and control layers (commands, media). */
export interface MessageHandler {
  handle(msg: RawMessage): void;
  /** once, when the connection has closed */
  onClose(reason: string): void;
}

/** Acknowledge at least this often when the peer sets no window (encoders stall near 4 GB without acks: srs#598). */
const DEFAULT_ACK_WINDOW = 2_500_000;

let nextId = 1;

/**
 * Owns one RTMP socket: handshake, chunk reassembly, protocol control messages,
 * acknowledgements and timeouts. Everything above that goes to the handler.
 * Any ProtocolError closes this connection only, with one log line.
 */
export class RtmpConnection {
  readonly id = nextId++;
  readonly peer: string;
  /** the peer's IP address as the socket reports it (IPv4-mapped on a dual-stack listener) */
  readonly address: string;
  /** RTMPS: the socket is TLS */
  readonly encrypted: boolean;
  private readonly reader: ChunkReader;
  private readonly writer = new ChunkWriter();
  private handshake: ServerHandshake | null = new ServerHandshake();
  private readonly handler: MessageHandler;
  private handshakeTimer: NodeJS.Timeout | null;
  private lastActivityMs: number;
  private bytesIn = 0;
  private ackedAt = 0;
  private ackWindow = DEFAULT_ACK_WINDOW;
  private closeReason: string | null = null;

  constructor(
    private readonly socket: Socket,
    limits: ConnectionLimits,
    readonly log: Logger,
    makeHandler: (conn: RtmpConnection) => MessageHandler,
    private readonly now: () => number = Date.now,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.address = socket.remoteAddress ?? '';
    this.encrypted = socket instanceof TLSSocket;
    this.lastActivityMs = now();
    // the socket's reads are ours alone: multi-chunk messages are joined inside them
    this.reader = new ChunkReader(limits.chunk, { compactInPlace: true });
    this.handler = makeHandler(this);
    this.handshakeTimer = setTimeout(() => this.close(`handshake not completed within ${limits.handshakeTimeoutMs} ms`), limits.handshakeTimeoutMs);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.setTimeout(limits.idleTimeoutMs, () => this.close(`idle for ${limits.idleTimeoutMs} ms`));
    socket.on('data', (data) => this.onData(data));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('end', () => this.close('peer closed the connection'));
    socket.on('close', () => this.onSocketClosed());
  }

  lastActivity(): number {
    return this.lastActivityMs;
  }

  /** bytes queued on the socket, not yet sent (a slow player's backlog) */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  send(...msgs: OutgoingMessage[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const m of msgs) for (const b of this.writer.write(m)) this.socket.write(b);
    this.socket.uncork();
  }

  /** Our outgoing chunk size; the Set Chunk Size message must already be queued. */
  setOutgoingChunkSize(size: number): void {
    this.writer.chunkSize = size;
  }

  /**
   * Closes the connection once. With flush, what was queued (an onStatus error
   * the client should see) is written first, bounded by a short timer.
   */
  close(reason: string, opts: { flush?: boolean } = {}): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.clearHandshakeTimer();
    if (opts.flush) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
  }

  private onSocketClosed(): void {
    this.clearHandshakeTimer();
    const reason = this.closeReason ?? 'connection closed';
    this.closeReason = reason;
    this.handler.onClose(reason);
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.lastActivityMs = this.now();
    this.bytesIn += data.length;
    try {
      if (this.handshake) {
        const { send, done, rest } = this.handshake.feed(data);
        for (const b of send) this.socket.write(b);
        if (!done) return;
        this.log.debug({ scheme: this.handshake.scheme }, 'handshake done');
        this.handshake = null;
        this.clearHandshakeTimer();
        data = rest;
      }
      for (const msg of this.reader.push(data)) {
        if (this.closed) return;
        this.dispatch(msg);
      }
      this.maybeAcknowledge();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (err instanceof NvrError) {
      this.log.warn({ code: err.code, peer: this.peer }, `closing RTMP connection: ${err.message}`);
      this.close(`${err.code}: ${err.message}`);
    } else {
      this.log.error({ err, peer: this.peer }, 'closing RTMP connection after an internal error');
      this.close('internal error');
    }
  }

  /** Protocol control messages are handled here (spec 5.4, 7.1.7); the rest goes up. */
  private dispatch(msg: RawMessage): void {
    switch (msg.type) {
      case MessageType.SetChunkSize: // applied by the chunk reader as it read the message
      case MessageType.Abort:
      case MessageType.Acknowledgement:
        return;
      case MessageType.WindowAckSize: {
        const size = readU32Body(msg.body, 'Window Acknowledgement Size');
        if (size > 0) this.ackWindow = size;
        return;
      }
      case MessageType.SetPeerBandwidth:
        readU32Body(msg.body, 'Set Peer Bandwidth');
        return;
      case MessageType.UserControl:
        this.onUserControl(msg.body);
        return;
      default:
        this.handler.handle(msg);
    }
  }

  private onUserControl(body: Buffer): void {
    const uc = readUserControl(body);
    if (uc.event === UserControlEvent.PingRequest) this.send(userControl(UserControlEvent.PingResponse, uc.value));
  }

  /** Sequence numbers are bytes received so far, modulo 2^32 (spec 5.4.3). */
  private maybeAcknowledge(): void {
    if (this.bytesIn - this.ackedAt < this.ackWindow) return;
    this.ackedAt = this.bytesIn;
    this.send(acknowledgement(this.bytesIn % 0x100000000));
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}
