/**
 * A small scripted RTMP client over real TCP, built from our own pure layers,
 * for tests that need exact control of what a publisher sends (HEVC over
 * legacy id 12, timestamp wrap-around, reconnects, hostile sequences).
 */
import net from 'node:net';
import { encodeAmf0 } from '../../src/rtmp/amf0.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ChunkWriter, type OutgoingMessage } from '../../src/rtmp/chunk-writer.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { MessageType, type RawMessage } from '../../src/rtmp/message-types.js';
import { decodeAmf0 } from '../../src/rtmp/amf0.js';

export interface ReceivedCommand {
  name: string;
  values: unknown[];
}

export class TestRtmpClient {
  readonly socket: net.Socket;
  private readonly writer = new ChunkWriter();
  private readonly reader = new ChunkReader();
  private hs: ClientHandshake;
  private hsDone = false;
  readonly commands: ReceivedCommand[] = [];
  /** protocol control and user control messages the server sent */
  readonly controls: RawMessage[] = [];
  /** audio and video messages the server sent (playback) */
  readonly media: RawMessage[] = [];
  /** bytes written after the handshake */
  bytesSent = 0;
  /** send commands as AMF3 command messages (type 17), as some encoders do */
  amf3 = false;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(socket: net.Socket, digest: boolean) {
    this.socket = socket;
    this.hs = new ClientHandshake({ digest });
    socket.on('data', (d) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, opts: { digest?: boolean; host?: string } = {}): Promise<TestRtmpClient> {
    const socket = net.connect(port, opts.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new TestRtmpClient(socket, opts.digest ?? false);
    socket.write(c.hs.start());
    await c.until(() => c.hsDone, 'handshake');
    return c;
  }

  /** connect, createStream, publish; resolves with the publish onStatus code. */
  async publish(name: string, opts: { app?: string; fcPublish?: boolean } = {}): Promise<string> {
    const app = opts.app ?? 'live';
    this.command(0, 'connect', 1, { app, type: 'nonprivate', flashVer: 'FMLE/3.0 (test)', tcUrl: `rtmp://127.0.0.1/${app}` });
    await this.waitCommand('_result');
    this.setChunkSize(4096);
    if (opts.fcPublish) {
      // as ffmpeg's rtmpproto does before createStream
      this.command(0, 'releaseStream', 4, null, name);
      this.command(0, 'FCPublish', 5, null, name);
    }
    this.command(0, 'createStream', 2, null);
    await this.waitCommand('_result', 2);
    this.command(1, 'publish', 3, null, name, 'live');
    const status = await this.waitCommand('onStatus');
    return String((status.values[3] as Record<string, unknown>).code);
  }

  setChunkSize(size: number): void {
    const body = Buffer.alloc(4);
    body.writeUInt32BE(size);
    this.send({ csid: 2, type: MessageType.SetChunkSize, streamId: 0, timestamp: 0, body });
    this.writer.chunkSize = size;
  }

  command(streamId: number, ...values: unknown[]): void {
    // an AMF3 command message is a 0x00 format byte, then AMF0 values
    const body = this.amf3 ? Buffer.concat([Buffer.from([0]), encodeAmf0(...values)]) : encodeAmf0(...values);
    this.send({ csid: 3, type: this.amf3 ? MessageType.CommandAmf3 : MessageType.CommandAmf0, streamId, timestamp: 0, body });
  }

  video(timestamp: number, body: Buffer): void {
    this.send({ csid: 6, type: MessageType.Video, streamId: 1, timestamp, body });
  }

  audio(timestamp: number, body: Buffer): void {
    this.send({ csid: 4, type: MessageType.Audio, streamId: 1, timestamp, body });
  }

  send(msg: OutgoingMessage): void {
    for (const b of this.writer.write(msg)) {
      this.bytesSent += b.length;
      this.socket.write(b);
    }
  }

  async waitCommand(name: string, minCount = 1): Promise<ReceivedCommand> {
    await this.until(() => this.commands.filter((c) => c.name === name).length >= minCount, `command ${name}`);
    return this.commands.filter((c) => c.name === name)[minCount - 1];
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until(() => this.closed, 'close', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (!this.hsDone) {
      const step = this.hs.feed(d);
      for (const b of step.send) this.socket.write(b);
      if (!step.done) return;
      this.hsDone = true;
      d = step.rest;
    }
    for (const m of this.reader.push(d)) this.onMessage(m);
    this.wake();
  }

  private onMessage(m: RawMessage): void {
    if (m.type === MessageType.CommandAmf0) {
      const values = decodeAmf0(m.body);
      this.commands.push({ name: String(values[0]), values });
    } else if (m.type <= MessageType.SetPeerBandwidth) this.controls.push(m);
    else if (m.type === MessageType.Audio || m.type === MessageType.Video) this.media.push(m);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.closed && what !== 'close') throw new Error(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
