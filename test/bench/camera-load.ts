/**
 * Load generator for the cameras benchmark, run as its own process so its CPU
 * is not the server's: replays the cached FLV clip to N camera ids over RTMP
 * at real-time pace, looping it with continuous timestamps, and plays a sample
 * of the cameras back over RTMP to see when their frames arrive.
 *
 * Cheap by construction: the clip is parsed once and every tag is chunked once
 * (type-3 continuation headers included); a send writes a fresh 12-byte type-0
 * header and that shared buffer (one writev), so per frame it allocates only
 * the header, whatever N is.
 *
 *   node --import tsx test/bench/camera-load.ts '{"port":1935,"cameras":["c1"],...}'
 * Prints "ready" on stderr once every camera publishes, then one JSON line
 * (LoadResult) on stdout when done.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeAmf0 } from '../../src/rtmp/amf0.js';
import { decodeAmf0 } from '../../src/rtmp/amf0.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { ChunkWriter } from '../../src/rtmp/chunk-writer.js';
import { ClientHandshake } from '../../src/rtmp/handshake-client.js';
import { MessageType } from '../../src/rtmp/message-types.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';
import { flvTags } from '../media/flv-file.js';

export interface LoadOptions {
  port: number;
  clip: string;
  cameras: string[];
  /** camera i starts publishing i * staggerMs after the first */
  staggerMs: number;
  /** after "ready": warm-up, then the CPU window (no players), both ms */
  warmupMs: number;
  windowMs: number;
  /** cameras (the first ones) played back after the CPU window to time frame arrival */
  players: number;
  /** then the players' warm-up and the lag window, ms */
  lagWarmupMs: number;
  lagWindowMs: number;
  /** RTMP chunk size the publishers set */
  chunkSize: number;
}

export interface CameraResult {
  id: string;
  videoSent: number;
  audioSent: number;
  /** audio/video message bodies sent (the media, without RTMP or FLV framing) */
  mediaBytes: number;
  /** the connection closed before we ended it */
  cut: boolean;
  /** frames sent before the first video keyframe */
  beforeKeyframe: number;
}

export interface LoadResult {
  cameras: CameraResult[];
  /** video frames scheduled in the CPU and lag windows: when the socket took them, minus their replay time (ms), all cameras */
  sendLag: Summary;
  /** video frames scheduled in the lag window: arrival at a player minus replay time (ms), sampled cameras */
  ingestLag: Summary;
  /** video frames scheduled in the lag window on sampled cameras, and how many of them a player saw */
  playerFrames: { sent: number; received: number; players: number; unmatched: number };
  /** this process's CPU seconds in the window */
  generatorCpuS: number;
  windowMs: number;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

const now = () => performance.timeOrigin + performance.now();
const opts = JSON.parse(process.argv[2]) as LoadOptions;

/** One FLV tag ready to go on the wire for any camera: its body, chunked once. */
interface WireTag {
  type: number;
  ts: number;
  csid: number;
  len: number;
  /** the body with type-3 continuation headers between chunks */
  wire: Buffer;
  /** a video frame (not a sequence header) */
  videoFrame: boolean;
}

function chunked(body: Buffer, csid: number, chunkSize: number): Buffer {
  const parts: Buffer[] = [];
  for (let off = 0; off < body.length; off += chunkSize) {
    if (off > 0) parts.push(Buffer.from([0xc0 | csid]));
    parts.push(body.subarray(off, Math.min(body.length, off + chunkSize)));
  }
  return Buffer.concat(parts);
}

const all = [...flvTags(readFileSync(opts.clip))];
const isHeader = (t: { type: number; body: Buffer }) => (t.type === 9 || t.type === 8) && t.body[1] === 0;
const wireOf = (t: { type: number; timestamp: number; body: Buffer }): WireTag => {
  const csid = t.type === 9 ? 6 : 4;
  return { type: t.type, ts: t.timestamp, csid, len: t.body.length, wire: chunked(t.body, csid, opts.chunkSize), videoFrame: t.type === 9 && !isHeader(t) };
};
/** sent once per publish: @setDataFrame + the clip's onMetaData, then the sequence headers */
const script = all.find((t) => t.type === 18);
const metadata = script ? Buffer.concat([encodeAmf0('@setDataFrame'), script.body]) : null;
const headers = all.filter(isHeader).map(wireOf);
/** AAC raw and AVC NALU packets; the clip's closing end-of-sequence tag is not replayed mid-stream */
const frames = all.filter((t) => (t.type === 8 || t.type === 9) && t.body[1] === 1).map(wireOf);
/** frames ahead of the first keyframe (audio): a recording that starts at a keyframe leaves them out */
const leading = frames.findIndex((f) => f.type === 9 && f.wire[0] >> 4 === 1);
/** one loop of the clip, so the next loop's timestamps continue after this one */
const span = Math.ceil((Math.max(...frames.map((f) => f.ts)) + 40) / 40) * 40;

class Camera {
  client!: TestRtmpClient;
  streamId = 1;
  start = 0;
  next = 0;
  loop = 0;
  ended = false;
  readonly r: CameraResult;
  /** scheduled wall time of each video timestamp sent in the window (sampled cameras only) */
  readonly schedule: Map<number, number> | null;
  readonly sizes: Map<number, number[]> | null;

  constructor(
    readonly id: string,
    sampled: boolean,
  ) {
    this.r = { id, videoSent: 0, audioSent: 0, mediaBytes: 0, cut: false, beforeKeyframe: leading };
    this.schedule = sampled ? new Map() : null;
    this.sizes = sampled ? new Map() : null;
  }

  async publish(): Promise<void> {
    this.client = await TestRtmpClient.connect(opts.port);
    const status = await this.client.publish(this.id);
    if (status !== 'NetStream.Publish.Start') throw new Error(`publish ${this.id}: ${status}`);
    this.client.socket.on('close', () => {
      if (!this.ended) this.r.cut = true;
    });
    if (metadata) this.client.send({ csid: 5, type: MessageType.DataAmf0, streamId: this.streamId, timestamp: 0, body: metadata });
    for (const h of headers) this.write(h, 0);
  }

  dueAt(): number {
    const f = frames[this.next];
    return this.start + this.loop * span + f.ts;
  }

  /** Sends every frame that is due; returns when the next one is. */
  pump(t: number, window: [number, number]): number {
    const sock = this.client.socket;
    let due = this.dueAt();
    if (due > t) return due;
    sock.cork();
    while (due <= t) {
      const f = frames[this.next];
      const ts = this.loop * span + f.ts;
      this.write(f, ts);
      if (f.type === 9) {
        this.r.videoSent++;
        if (due >= window[0] && due < window[1]) {
          const scheduled = due;
          sock.write(EMPTY, () => sendLags.push(now() - scheduled));
        }
        if (f.videoFrame && this.schedule && this.sizes) {
          this.schedule.set(ts, due);
          const list = this.sizes.get(f.len);
          if (list) list.push(ts);
          else this.sizes.set(f.len, [ts]);
        }
      } else this.r.audioSent++;
      this.r.mediaBytes += f.len;
      if (++this.next === frames.length) {
        this.next = 0;
        this.loop++;
      }
      due = this.dueAt();
    }
    sock.uncork();
    return due;
  }

  private write(f: WireTag, ts: number): void {
    const h = Buffer.allocUnsafe(12);
    h[0] = f.csid; // fmt 0
    h.writeUIntBE(ts & 0xffffff, 1, 3); // a 4.6-hour run would need the extended field; ours are minutes
    h.writeUIntBE(f.len, 4, 3);
    h[7] = f.type;
    h.writeUInt32LE(this.streamId, 8);
    this.client.socket.write(h);
    this.client.socket.write(f.wire);
  }

  close(): void {
    this.ended = true;
    // FCUnpublish + deleteStream as ffmpeg does, so every server closes its recording
    this.client.command(0, 'FCUnpublish', 6, null, this.id);
    this.client.command(0, 'deleteStream', 7, null, this.streamId);
    this.client.socket.end();
  }
}

const EMPTY = Buffer.alloc(0);
const sendLags: number[] = [];

/** A minimal RTMP player: notes (timestamp, arrival, size) of each video frame. */
class Player {
  readonly frames: [number, number, number][] = [];
  private readonly socket: net.Socket;
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private readonly hs = new ClientHandshake({ digest: false });
  private hsDone = false;
  private bytesIn = 0;
  private ackedAt = 0;
  private ackWindow = 2_500_000;

  constructor(readonly id: string) {
    this.socket = net.connect(opts.port, '127.0.0.1');
    this.socket.on('connect', () => this.socket.write(this.hs.start()));
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
  }

  close(): void {
    this.socket.destroy();
  }

  /** Playing but nothing came (nginx-rtmp: a worker other than the publisher's); the caller tries again. */
  starved(since: number): boolean {
    return this.frames.length === 0 && now() - since > 600;
  }

  private send(csid: number, type: number, streamId: number, body: Buffer): void {
    for (const b of this.writer.write({ csid, type, streamId, timestamp: 0, body })) this.socket.write(b);
  }

  private command(streamId: number, ...values: unknown[]): void {
    this.send(3, MessageType.CommandAmf0, streamId, encodeAmf0(...values));
  }

  private onData(d: Buffer): void {
    const at = now();
    this.bytesIn += d.length;
    if (!this.hsDone) {
      const step = this.hs.feed(d);
      for (const b of step.send) this.socket.write(b);
      if (!step.done) return;
      this.hsDone = true;
      this.command(0, 'connect', 1, { app: 'live', flashVer: 'LNX 9,0,124,2', tcUrl: `rtmp://127.0.0.1:${opts.port}/live`, fpad: false, capabilities: 15, audioCodecs: 3191, videoCodecs: 252, videoFunction: 1 });
      d = step.rest;
    }
    for (const m of this.reader.push(d)) {
      if (m.type === MessageType.Video) {
        // AVC NALU packets only: sequence headers are not frames of the replay
        if (m.body.length > 1 && m.body[1] === 1) this.frames.push([m.timestamp, at, m.body.length]);
      } else if (m.type === MessageType.WindowAckSize) {
        this.ackWindow = m.body.readUInt32BE(0);
      } else if (m.type === MessageType.CommandAmf0) {
        const [name, tx] = decodeAmf0(m.body) as [string, number];
        if (name === '_result' && tx === 1) this.command(0, 'createStream', 2, null);
        if (name === '_result' && tx === 2) {
          const buf = Buffer.alloc(10); // SetBufferLength(stream 1, 1000 ms), as players send
          buf.writeUInt16BE(3, 0);
          buf.writeUInt32BE(1, 2);
          buf.writeUInt32BE(1000, 6);
          this.command(1, 'play', 3, null, this.id, -1000);
          this.send(2, MessageType.UserControl, 0, buf);
        }
      }
    }
    if (this.bytesIn - this.ackedAt >= this.ackWindow) {
      this.ackedAt = this.bytesIn;
      const ack = Buffer.alloc(4);
      ack.writeUInt32BE(this.bytesIn % 2 ** 32);
      this.send(2, MessageType.Acknowledgement, 0, ack);
    }
  }
}

function summary(xs: number[]): Summary {
  if (xs.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] };
}

/**
 * A player's timestamps may be rebased by the server: the offset is the one
 * most of its first frames agree on when matched to sent frames by size.
 */
function playerLags(cam: Camera, p: Player, window: [number, number]): { lags: number[]; received: number; unmatched: number } {
  const votes = new Map<number, number>();
  for (const [ts, , len] of p.frames.slice(0, 200)) {
    for (const sentTs of cam.sizes!.get(len) ?? []) votes.set(ts - sentTs, (votes.get(ts - sentTs) ?? 0) + 1);
  }
  let offset = 0;
  let best = 0;
  for (const [d, v] of votes) if (v > best) [offset, best] = [d, v];
  const lags: number[] = [];
  let unmatched = 0;
  const seen = new Set<number>();
  for (const [ts, at] of p.frames) {
    const scheduled = cam.schedule!.get(ts - offset);
    if (scheduled === undefined) {
      unmatched++;
      continue;
    }
    if (scheduled < window[0] || scheduled >= window[1] || seen.has(ts)) continue;
    seen.add(ts);
    lags.push(at - scheduled);
  }
  return { lags, received: seen.size, unmatched };
}

async function main(): Promise<void> {
  const cams = opts.cameras.map((id, i) => new Camera(id, i < opts.players));
  // connect and publish in batches, so a server's accept queue is not the test
  for (let i = 0; i < cams.length; i += 16) await Promise.all(cams.slice(i, i + 16).map((c) => c.publish()));
  const t0 = now() + 200;
  cams.forEach((c, i) => (c.start = t0 + i * opts.staggerMs));
  const ready = t0 + cams.length * opts.staggerMs;
  const window: [number, number] = [ready + opts.warmupMs, ready + opts.warmupMs + opts.windowMs];
  const lagWindow: [number, number] = [window[1] + opts.lagWarmupMs, window[1] + opts.lagWarmupMs + opts.lagWindowMs];
  const sendWindow: [number, number] = [window[0], lagWindow[1]];
  const end = lagWindow[1] + 500;

  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  let cpuInWindow: NodeJS.CpuUsage | null = null;
  let players: Player[] = [];
  let playersAt = 0;
  let retries = 0;
  let announced = false;
  let playing = false;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      if (!announced && t >= ready) {
        announced = true;
        process.stderr.write('ready\n');
      }
      if (!playing && t >= window[1]) {
        playing = true;
        players = cams.slice(0, opts.players).map((c) => new Player(c.id));
        playersAt = t;
      }
      if (playing && t < lagWindow[0] && players.some((p) => p.starved(playersAt))) {
        // nginx-rtmp serves a stream only on its publisher's worker: reconnect until one lands there
        players = players.map((p) => (p.starved(playersAt) && retries++ < 200 ? (p.close(), new Player(p.id)) : p));
        playersAt = t;
      }
      if (!cpuAtWindow && t >= window[0]) cpuAtWindow = process.cpuUsage();
      if (cpuAtWindow && !cpuInWindow && t >= window[1]) cpuInWindow = process.cpuUsage(cpuAtWindow);
      if (t >= end) return resolve();
      let next = end;
      for (const c of cams) if (t >= c.start && !c.r.cut) next = Math.min(next, c.pump(t, sendWindow));
      else if (!c.r.cut) next = Math.min(next, c.start);
      setTimeout(tick, Math.max(1, next - now()));
    };
    tick();
  });
  for (const p of players) p.close();
  for (const c of cams) c.close();
  // the server has the last bytes once each socket is flushed and closed
  const closed = Promise.all(cams.map((c) => new Promise((r) => (c.client.closed ? r(null) : c.client.socket.once('close', r)))));
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);

  const ingest: number[] = [];
  const playerFrames = { sent: 0, received: 0, players: players.length, unmatched: 0 };
  players.forEach((p, i) => {
    const cam = cams[i];
    const r = playerLags(cam, p, lagWindow);
    for (const l of r.lags) ingest.push(l);
    playerFrames.sent += [...cam.schedule!.values()].filter((s) => s >= lagWindow[0] && s < lagWindow[1]).length;
    playerFrames.received += r.received;
    playerFrames.unmatched += r.unmatched;
  });
  const cpu = cpuInWindow ?? process.cpuUsage(cpuAtWindow ?? undefined);
  const result: LoadResult = {
    cameras: cams.map((c) => c.r),
    sendLag: summary(sendLags),
    ingestLag: summary(ingest),
    playerFrames,
    generatorCpuS: (cpu.user + cpu.system) / 1e6,
    windowMs: opts.windowMs,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

await main();
