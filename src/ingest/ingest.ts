import type { Logger } from 'pino';
import { NvrError } from '../errors.js';
import type { Publisher } from '../hub/live-stream.js';
import type { StreamHub } from '../hub/stream-hub.js';
import { FlvDemuxer } from '../media/flv-demuxer.js';
import type { IngestSink, PublishDecision, PublishGate, PublishRequest } from '../rtmp/session.js';
import { sanitizeMetadata } from './metadata.js';
import { AddressAllowList, allowListFor } from './address-allow-list.js';
import { checkPublish, type PublishCamera } from './publish-auth.js';
import { parsePublishTarget } from './publish-target.js';

/** Where publish sessions are written down (the publish_sessions table). */
export interface PublishLog {
  start(s: { cameraId: string; peer: string; client: string; startedAt: number }): number;
  end(id: number, e: { endedAt: number; reason: string; bytesIn: number }): void;
}

export interface IngestOptions {
  cameras: PublishCamera[];
  hub: StreamHub;
  log: Logger;
  publishLog?: PublishLog;
  /** `rtmp.allowPublishFrom`: addresses (CIDR blocks) that may publish at all; empty or absent: any */
  allowPublishFrom?: readonly string[];
  now?: () => number;
}

/** The RTMP app cameras publish to: rtmp://HOST/live/<cameraId> (CONTRACT.md "Publishing"). */
const APP = 'live';
/** at most this many demux warnings logged per publish, so a broken camera can't flood the log */
const MAX_WARNINGS = 20;

/**
 * Decides who may publish (camera id, stream key, one live publisher per
 * camera) and turns an accepted publisher's messages into frames on the hub.
 */
export class Ingest implements PublishGate {
  private readonly cameras: Map<string, PublishCamera>;
  /** each accepted publisher's address, to re-check it when a camera's publishFrom changes */
  private readonly addresses = new WeakMap<Publisher, string>();
  private readonly now: () => number;
  private readonly allowFrom: AddressAllowList | null;

  constructor(private readonly opts: IngestOptions) {
    this.cameras = new Map(opts.cameras.map((c) => [c.id, c]));
    this.now = opts.now ?? Date.now;
    this.allowFrom = opts.allowPublishFrom?.length ? new AddressAllowList(opts.allowPublishFrom) : null;
  }

  /**
   * A camera added or edited at runtime: the next publish is checked against
   * it. A new or changed stream key also disconnects the current publisher,
   * which did not present it: rotating a leaked key must cut off whoever
   * used it (a camera that has the new key simply reconnects). So does a
   * publishFrom list that no longer allows the publisher's address.
   */
  setCamera(cam: PublishCamera): void {
    const old = this.cameras.get(cam.id);
    this.cameras.set(cam.id, cam);
    if (!old) return;
    const current = this.opts.hub.stream(cam.id)?.publisher;
    const address = current ? this.addresses.get(current) : undefined;
    const why =
      cam.streamKey && cam.streamKey !== old.streamKey
        ? 'stream key changed'
        : address !== undefined && !(allowListFor(cam.publishFrom)?.allows(address) ?? true)
          ? 'address no longer in publishFrom'
          : null;
    if (why && this.opts.hub.disconnect(cam.id, why)) this.opts.log.info({ camera: cam.id }, `${why}: publisher disconnected`);
  }

  /** A camera removed at runtime: publishes to it are refused from now on. */
  removeCamera(cameraId: string): void {
    this.cameras.delete(cameraId);
  }

  open(req: PublishRequest, publisher: Publisher): PublishDecision {
    const target = parsePublishTarget(req.app, req.tcUrl, req.name);
    const log = this.opts.log.child({ camera: target.cameraId, peer: publisher.peer, transport: req.transport });
    const refuse = (code: string, message: string): PublishDecision => {
      log.warn({ code, app: target.app, client: req.client }, `publish refused: ${message}`);
      return { ok: false, code, message };
    };
    if (target.app !== APP) return refuse('UNKNOWN_APP', `unknown application "${target.app}", publish to rtmp://HOST/${APP}/<cameraId>`);
    const check = checkPublish(this.cameras, target.cameraId, target.key, req.address, this.allowFrom);
    if (!check.ok) return refuse(check.code, check.message);
    const claim = this.opts.hub.claim(target.cameraId, publisher);
    if (!claim.ok) return refuse(claim.code, claim.message);

    this.addresses.set(publisher, req.address);
    log.info({ client: req.client }, 'publish started');
    return { ok: true, sink: this.sink(target.cameraId, publisher, log, this.logSessionStart(target.cameraId, publisher, req.client, log)) };
  }

  /**
   * The publish_sessions row. A database that refuses it (locked by another
   * program, disk full) must not refuse the camera: the hub is already claimed
   * and footage matters more than the session log (test/faults/database-locked).
   */
  private logSessionStart(cameraId: string, publisher: Publisher, client: string, log: Logger): number | undefined {
    try {
      return this.opts.publishLog?.start({ cameraId, peer: publisher.peer, client, startedAt: this.now() });
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : err }, 'could not record the start of a publish session; publishing goes on');
      return undefined;
    }
  }

  private sink(cameraId: string, publisher: Publisher, log: Logger, sessionId: number | undefined): IngestSink {
    const stream = this.opts.hub.stream(cameraId)!;
    const demuxer = new FlvDemuxer();
    let bytesIn = 0;
    let warnings = 0;
    let ended = false;
    // A damaged frame is skipped with a warning: the camera keeps recording.
    const demux = (track: 'audio' | 'video', timestamp: number, body: Buffer) => {
      try {
        return demuxer.push(track, timestamp, body);
      } catch (err) {
        if (!(err instanceof NvrError)) throw err;
        return [{ type: 'warning' as const, message: `${track} message skipped: ${err.message}` }];
      }
    };
    return {
      media: (track, timestamp, body) => {
        bytesIn += body.length;
        for (const out of demux(track, timestamp, body)) {
          if (out.type === 'frame') stream.pushFrame(out.frame);
          else if (out.type === 'config') {
            log.info({ track: out.config.track, codec: out.config.info.codecString }, 'codec configuration');
            stream.pushConfig(out.config);
          } else if (warnings++ < MAX_WARNINGS) log.warn({ track }, out.message);
        }
      },
      metadata: (values) => {
        const meta = sanitizeMetadata(values);
        if (meta) stream.pushMetadata(meta);
      },
      end: (reason) => {
        if (ended) return;
        ended = true;
        this.opts.hub.release(cameraId, publisher, reason);
        log.info({ reason, bytesIn }, 'publish ended');
        if (sessionId !== undefined) {
          try {
            this.opts.publishLog!.end(sessionId, { endedAt: this.now(), reason, bytesIn });
          } catch (err) {
            log.error({ err: err instanceof NvrError ? err.message : err }, 'could not record the end of a publish session');
          }
        }
      },
    };
  }
}
