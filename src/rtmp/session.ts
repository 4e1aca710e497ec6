import { ProtocolError } from '../errors.js';
import type { Publisher } from '../hub/live-stream.js';
import type { OutgoingMessage } from './chunk-writer.js';
import { type RtmpConnection, type MessageHandler } from './connection.js';
import { MessageType, type RawMessage } from './message-types.js';
import { splitAggregate } from './messages/aggregate.js';
import { commandMessage, decodeCommand, decodeData, onStatus, prop, type Command } from './messages/command.js';
import { setChunkSize, setPeerBandwidth, windowAckSize } from './messages/control.js';
import { UserControlEvent, userControl } from './messages/user-control.js';

/** What a client asked to publish to, as the ingest layer sees it. */
export interface PublishRequest {
  app: string;
  tcUrl: string;
  /** the publish name as sent, with any `?key=` query */
  name: string;
  /** the client's flashVer string, for logs */
  client: string;
  /** the peer's IP address (allow-lists) */
  address: string;
  /** rtmps when the connection is TLS */
  transport: 'rtmp' | 'rtmps';
}

/** Where an accepted publish sends its media; the ingest layer implements it. */
export interface IngestSink {
  media(track: 'audio' | 'video', timestamp: number, body: Buffer): void;
  /** onMetaData values (after @setDataFrame is stripped) */
  metadata(values: unknown[]): void;
  end(reason: string): void;
}

export type PublishDecision = { ok: true; sink: IngestSink } | { ok: false; code: string; message: string };

export interface PublishGate {
  open(req: PublishRequest, publisher: Publisher): PublishDecision;
}

/** Where a player's messages go: the connection, on the play stream's id. */
export interface PlayOutput {
  readonly peer: string;
  send(...msgs: OutgoingMessage[]): void;
  /** bytes written to the socket but not yet sent */
  bufferedBytes(): number;
  close(reason: string): void;
}

export type PlayDecision = { ok: true; stop(): void } | { ok: false; code: string; message: string };

/** Decides whether a stream may be played and feeds it (the live module implements it). */
export interface PlayGate {
  open(req: { app: string; name: string; streamId: number }, out: PlayOutput): PlayDecision;
}

/** Our outgoing chunk size: fewer headers than the default 128 for replies and (later) playback. */
const OUT_CHUNK_SIZE = 4096;
const WINDOW_ACK_SIZE = 2_500_000;
/** Enhanced RTMP codecs we accept (echoed from the client's connect fourCcList). */
const SUPPORTED_FOURCC = ['avc1', 'hvc1'];
const MAX_STREAMS = 8;

/**
 * The NetConnection / NetStream command dialogue of one publishing client
 * (spec 7.2): connect, releaseStream, FCPublish, createStream, publish,
 * FCUnpublish, deleteStream, closeStream, with the replies OBS, ffmpeg and
 * GStreamer wait for. Media and metadata go to the sink of the accepted publish.
 */
export class RtmpSession implements MessageHandler, Publisher {
  private app: string | null = null;
  private tcUrl = '';
  private client = '';
  private objectEncoding = 0;
  private nextStreamId = 1;
  private readonly streams = new Set<number>();
  private publishing: { streamId: number; sink: IngestSink } | null = null;

  private playing: { stop(): void } | null = null;

  constructor(
    private readonly conn: RtmpConnection,
    private readonly gate: PublishGate,
    private readonly playGate?: PlayGate,
  ) {}

  get id(): number {
    return this.conn.id;
  }

  get peer(): string {
    return this.conn.peer;
  }

  lastActivity(): number {
    return this.conn.lastActivity();
  }

  close(reason: string): void {
    this.endPublish(reason);
    this.conn.close(reason);
  }

  handle(msg: RawMessage): void {
    switch (msg.type) {
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommand(msg), msg.streamId);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.onData(msg);
        return;
      case MessageType.Audio:
        this.publishing?.sink.media('audio', msg.timestamp, msg.body);
        return;
      case MessageType.Video:
        this.publishing?.sink.media('video', msg.timestamp, msg.body);
        return;
      case MessageType.Aggregate:
        for (const part of splitAggregate(msg)) this.handle(part);
        return;
      default:
        throw new ProtocolError('MESSAGE_TYPE_UNSUPPORTED', `unsupported message type ${msg.type} on csid ${msg.csid}`);
    }
  }

  onClose(reason: string): void {
    this.endPublish(reason);
    this.playing?.stop();
    this.playing = null;
  }

  private onCommand(cmd: Command, streamId: number): void {
    if (cmd.name !== 'connect' && this.app === null) {
      throw new ProtocolError('COMMAND_BEFORE_CONNECT', `"${cmd.name}" before connect`);
    }
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(cmd);
      case 'releaseStream':
      case 'FCPublish':
        this.conn.send(commandMessage(0, '_result', cmd.transactionId, null, undefined));
        // Hardware encoders wait for onFCPublish before publishing.
        if (cmd.name === 'FCPublish') {
          // only a string name is echoed: String() throws on the null-prototype objects AMF decodes
          const name = typeof cmd.args[0] === 'string' ? cmd.args[0] : '';
          this.conn.send(commandMessage(0, 'onFCPublish', 0, null, { code: 'NetStream.Publish.Start', description: name }));
        }
        return;
      case 'createStream':
        return this.onCreateStream(cmd);
      case 'publish':
        return this.onPublish(cmd, streamId || this.nextStreamId - 1);
      case 'FCUnpublish':
      case 'closeStream':
      case 'deleteStream':
        if (this.playing && cmd.name !== 'FCUnpublish') {
          this.playing.stop();
          this.playing = null;
        }
        return this.onUnpublish(cmd);
      case 'play':
        return this.onPlay(cmd, streamId || this.nextStreamId - 1);
      default:
        // getStreamLength, checkBandwidth, _checkbw... : harmless; answer what expects an answer
        if (cmd.transactionId > 0) this.conn.send(commandMessage(0, '_error', cmd.transactionId, null, { level: 'error', code: 'NetConnection.Call.Failed', description: `unknown command ${cmd.name}` }));
    }
  }

  private onConnect(cmd: Command): void {
    if (this.app !== null) throw new ProtocolError('CONNECT_TWICE', 'connect received twice');
    const app = prop(cmd.object, 'app');
    this.app = typeof app === 'string' ? app : '';
    const tcUrl = prop(cmd.object, 'tcUrl');
    this.tcUrl = typeof tcUrl === 'string' ? tcUrl : '';
    const flashVer = prop(cmd.object, 'flashVer');
    this.client = typeof flashVer === 'string' ? flashVer.slice(0, 128) : '';
    this.objectEncoding = prop(cmd.object, 'objectEncoding') === 3 ? 3 : 0;

    this.conn.send(windowAckSize(WINDOW_ACK_SIZE), setPeerBandwidth(WINDOW_ACK_SIZE), setChunkSize(OUT_CHUNK_SIZE));
    this.conn.setOutgoingChunkSize(OUT_CHUNK_SIZE);
    const props: Record<string, unknown> = { fmsVer: 'FMS/3,0,1,123', capabilities: 31 };
    const info: Record<string, unknown> = {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding: this.objectEncoding,
    };
    // Enhanced RTMP: echo the FourCCs we understand from the client's list.
    const fourCcList = prop(cmd.object, 'fourCcList');
    if (Array.isArray(fourCcList)) info.fourCcList = fourCcList.filter((f) => SUPPORTED_FOURCC.includes(f as string));
    this.conn.send(commandMessage(0, '_result', cmd.transactionId, props, info));
  }

  private onCreateStream(cmd: Command): void {
    if (this.streams.size >= MAX_STREAMS) throw new ProtocolError('STREAM_LIMIT', `more than ${MAX_STREAMS} streams created`);
    const id = this.nextStreamId++;
    this.streams.add(id);
    this.conn.send(commandMessage(0, '_result', cmd.transactionId, null, id));
  }

  private onPublish(cmd: Command, streamId: number): void {
    const name = cmd.args[0];
    // Wirecast sends publish(false) to stop publishing (node-media-server#67).
    if (name === false) return this.onUnpublish(cmd);
    if (typeof name !== 'string') throw new ProtocolError('PUBLISH_INVALID', 'publish without a stream name');
    if (this.publishing) {
      this.conn.send(onStatus(streamId, 'error', 'NetStream.Publish.BadName', 'this connection is already publishing'));
      return;
    }
    const decision = this.gate.open({ app: this.app!, tcUrl: this.tcUrl, name: name.slice(0, 1024), client: this.client, address: this.conn.address, transport: this.conn.encrypted ? 'rtmps' : 'rtmp' }, this);
    if (!decision.ok) {
      const code = decision.code === 'ALREADY_PUBLISHING' ? 'NetStream.Publish.BadName' : 'NetStream.Publish.Unauthorized';
      this.conn.send(onStatus(streamId, 'error', code, decision.message));
      this.conn.close(`publish refused: ${decision.message}`, { flush: true });
      return;
    }
    this.publishing = { streamId, sink: decision.sink };
    this.conn.send(userControl(UserControlEvent.StreamBegin, streamId), onStatus(streamId, 'status', 'NetStream.Publish.Start', `${name.split('?')[0]} is now published.`));
  }

  /** play(name): ffplay, VLC and relays pull a camera's live stream (spec 7.2.2.1). */
  private onPlay(cmd: Command, streamId: number): void {
    const name = cmd.args[0];
    if (typeof name !== 'string') throw new ProtocolError('PLAY_INVALID', 'play without a stream name');
    if (this.publishing || this.playing || !this.playGate) {
      const why = this.playGate ? 'this connection is already publishing or playing' : 'playback is not available';
      this.conn.send(onStatus(streamId, 'error', 'NetStream.Play.Failed', why));
      return;
    }
    const conn = this.conn;
    const out: PlayOutput = {
      peer: conn.peer,
      send: (...msgs) => conn.send(...msgs),
      bufferedBytes: () => conn.bufferedBytes,
      close: (reason) => conn.close(reason, { flush: true }),
    };
    const decision = this.playGate.open({ app: this.app!, name: name.slice(0, 1024), streamId }, out);
    if (!decision.ok) {
      const code = decision.code === 'UNKNOWN_CAMERA' ? 'NetStream.Play.StreamNotFound' : 'NetStream.Play.Failed';
      this.conn.send(onStatus(streamId, 'error', code, decision.message));
      this.conn.close(`play refused: ${decision.message}`, { flush: true });
      return;
    }
    this.playing = decision;
  }

  private onUnpublish(cmd: Command): void {
    if (!this.publishing) return;
    const { streamId } = this.publishing;
    this.endPublish('unpublished');
    this.conn.send(onStatus(streamId, 'status', 'NetStream.Unpublish.Success', 'stream unpublished'));
    if (cmd.name === 'deleteStream') this.streams.delete(streamId);
  }

  private onData(msg: RawMessage): void {
    if (!this.publishing) return;
    let values = decodeData(msg);
    // ffmpeg and OBS wrap metadata as @setDataFrame("onMetaData", {...}): strip the prefix.
    if (values[0] === '@setDataFrame') values = values.slice(1);
    if (values[0] === 'onMetaData') this.publishing.sink.metadata(values.slice(1));
  }

  private endPublish(reason: string): void {
    const p = this.publishing;
    if (!p) return;
    this.publishing = null;
    p.sink.end(reason);
  }
}
