import type { Logger } from 'pino';
import { flvConfigTag, flvFrameTag } from '../flv/flv-muxer.js';
import type { LiveStream } from '../hub/live-stream.js';
import type { StreamConsumer } from '../hub/stream-consumer.js';
import type { StreamHub } from '../hub/stream-hub.js';
import type { AudioInfo, CodecConfig, MediaFrame, StreamMetadata } from '../media/frame.js';
import { EcmaArray } from '../rtmp/amf0.js';
import type { OutgoingMessage } from '../rtmp/chunk-writer.js';
import { MessageType } from '../rtmp/message-types.js';
import { dataMessage, onStatus } from '../rtmp/messages/command.js';
import { UserControlEvent, userControl } from '../rtmp/messages/user-control.js';
import type { PlayDecision, PlayGate, PlayOutput } from '../rtmp/session.js';
import type { ViewerCap } from './viewer-cap.js';

export interface PlayLimits {
  /** socket backlog above which frames are skipped to the next keyframe */
  maxBufferedBytes: number;
  /** a player over that backlog for this long is disconnected */
  maxBehindMs: number;
}

const AUDIO_CSID = 4;
const VIDEO_CSID = 6;
const TAG_HEADER = 11;

/** RTMP play of `rtmp://HOST/live/<cameraId>` for ffplay, VLC and relays. */
export class LivePlayGate implements PlayGate {
  constructor(
    private readonly hub: StreamHub,
    private readonly log: Logger,
    private readonly limits: PlayLimits = { maxBufferedBytes: 4 << 20, maxBehindMs: 10_000 },
    private readonly now: () => number = Date.now,
    /** live.maxViewers / maxViewersPerCamera; absent: no cap */
    private readonly cap?: ViewerCap,
  ) {}

  open(req: { app: string; name: string; streamId: number }, out: PlayOutput): PlayDecision {
    const cameraId = req.name.split('?')[0];
    const stream = req.app.split('?')[0] === 'live' ? this.hub.stream(cameraId) : undefined;
    if (!stream) {
      this.log.warn({ camera: cameraId, peer: out.peer }, 'play refused: unknown stream');
      return { ok: false, code: 'UNKNOWN_CAMERA', message: `no camera with id "${cameraId}"` };
    }
    const admitted = this.cap?.admit(cameraId, out.peer, 'rtmp-play') ?? { ok: true };
    if (!admitted.ok) return admitted;
    const player = new RtmpPlayer(stream, out, req.streamId, this.limits, this.now, this.log.child({ camera: cameraId, peer: out.peer }));
    player.start();
    return { ok: true, stop: () => player.stop() };
  }
}

/**
 * One RTMP player: a hub consumer that sends the camera's configuration,
 * metadata and frames as RTMP messages, starting on the cached keyframe, with
 * timestamps that keep increasing across a publisher reconnect. A player whose
 * socket backs up skips to the next keyframe, and is dropped if it stays behind.
 */
class RtmpPlayer implements StreamConsumer {
  readonly kind = 'viewer';
  private detach: (() => void) | null = null;
  private base: number | null = null;
  private offset = 0;
  private lastOut = 0;
  private waitKeyframe = true;
  private behindSince: number | null = null;
  private audioInfo: AudioInfo | undefined;

  constructor(
    private readonly stream: LiveStream,
    private readonly out: PlayOutput,
    private readonly streamId: number,
    private readonly limits: PlayLimits,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  start(): void {
    const id = this.streamId;
    this.out.send(
      userControl(UserControlEvent.StreamBegin, id),
      onStatus(id, 'status', 'NetStream.Play.Reset', 'Playing and resetting.'),
      onStatus(id, 'status', 'NetStream.Play.Start', `Started playing ${this.stream.cameraId}.`),
      dataMessage(id, 0, '|RtmpSampleAccess', true, true),
    );
    this.detach = this.stream.attach(this, { fromKeyframe: true });
    this.log.info('RTMP player started');
  }

  stop(): void {
    this.detach?.();
    this.detach = null;
  }

  onConfig(config: CodecConfig): void {
    if (config.track === 'audio') this.audioInfo = config.info;
    const tag = flvConfigTag(config, 0);
    if (tag) this.out.send(this.message(config.track, this.lastOut, tag.subarray(TAG_HEADER, tag.length - 4)));
  }

  onMetadata(metadata: StreamMetadata): void {
    this.out.send(dataMessage(this.streamId, this.lastOut, 'onMetaData', new EcmaArray({ ...metadata })));
  }

  onStreamClosed(reason: string): void {
    this.stop();
    this.out.close(reason);
  }

  onPublishEnd(): void {
    // the next publisher's clock starts anywhere: continue just after what was sent
    this.base = null;
    this.offset = this.lastOut + 40;
    this.waitKeyframe = true;
  }

  onFrame(frame: MediaFrame): void {
    if (!this.keepUp(frame)) return;
    if (this.waitKeyframe) {
      if (frame.track === 'audio' && this.stream.video) return;
      if (frame.track === 'video' && !frame.keyframe) return;
      this.waitKeyframe = false;
    }
    this.base ??= frame.dts;
    const ts = Math.max(0, frame.dts - this.base + this.offset);
    this.lastOut = Math.max(this.lastOut, ts);
    const [head, payload] = flvFrameTag(frame, ts >>> 0, this.audioInfo);
    if (!head) return;
    // RTMP media bodies are FLV tag bodies: the codec header, then the payload
    this.out.send(this.message(frame.track, ts, Buffer.concat([head.subarray(TAG_HEADER), payload])));
  }

  /** Backpressure: false while frames must be skipped; closes a player that stays behind. */
  private keepUp(frame: MediaFrame): boolean {
    const backlog = this.out.bufferedBytes();
    if (backlog > this.limits.maxBufferedBytes) {
      this.behindSince ??= this.now();
      this.waitKeyframe = true;
      if (this.now() - this.behindSince > this.limits.maxBehindMs) {
        this.log.warn({ backlog }, 'RTMP player too slow for too long: disconnected');
        this.stop();
        this.out.close('player too slow');
      }
      return false;
    }
    if (this.behindSince !== null && (backlog > this.limits.maxBufferedBytes / 2 || !(frame.track === 'video' && frame.keyframe))) return false;
    this.behindSince = null;
    return true;
  }

  private message(track: 'audio' | 'video', timestamp: number, body: Buffer): OutgoingMessage {
    return track === 'video'
      ? { csid: VIDEO_CSID, type: MessageType.Video, streamId: this.streamId, timestamp, body }
      : { csid: AUDIO_CSID, type: MessageType.Audio, streamId: this.streamId, timestamp, body };
  }
}
