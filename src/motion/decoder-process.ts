/**
 * One long-lived ffmpeg process that decodes the frames we send it (IVF on
 * stdin, see ivf.ts) into small RGB pictures (raw on stdout). Each picture's
 * pts comes back on stderr from the `showinfo` filter, in the same order as
 * the pictures, so a picture is matched to the frame it came from even when
 * the decoder drops a corrupt one or holds pictures back for reordering.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { VideoCodec } from '../media/frame.js';
import { ivfFrameHeader, ivfHeader } from './ivf.js';

export interface DecoderSpec {
  ffmpegPath: string;
  codec: VideoCodec;
  /** source picture size (IVF header; the decoder takes the real one from the SPS) */
  width: number;
  height: number;
  /** size of the pictures we get back; even numbers */
  outWidth: number;
  outHeight: number;
  /**
   * null: every frame sent is a keyframe and comes back as a picture. A
   * number: all frames are sent, and only keyframes plus at most this many
   * pictures per second come back (the rest are decoded only as references).
   */
  extraFps: number | null;
}

export interface Picture<T> {
  pts: number;
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, rows top to bottom */
  rgb: Buffer;
  /** the decoder reported errors just before it: concealed, not to be trusted */
  damaged: boolean;
  meta: T;
}

export interface DecoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** spawn failure (ENOENT: no such binary) */
  error?: NodeJS.ErrnoException;
  /** the last error lines ffmpeg printed */
  lastErrors: string[];
  /** we asked it to stop (end() or kill()) */
  requested: boolean;
}

export interface DecoderHandlers<T> {
  onPicture(p: Picture<T>): void;
  /** frames the decoder never returned a picture for (corrupt, or not selected in extraFps mode) */
  onSkipped?(metas: T[]): void;
  onExit(e: DecoderExit): void;
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*(-?\d+)/;
const ERROR_LINE = /\[(error|fatal|panic)\]|corrupt decoded frame/;
const MAX_LINE = 2000;
const ERRORS_KEPT = 5;

export function decoderArgs(spec: DecoderSpec): string[] {
  const filters: string[] = [];
  if (spec.extraFps !== null) {
    // keyframes always (thumbnails), and frames at least 1/extraFps s apart
    const gap = Math.max(0, 1 / spec.extraFps - 0.005).toFixed(3);
    filters.push(`select='eq(pict_type,PICT_TYPE_I)+isnan(prev_selected_t)+gte(t-prev_selected_t,${gap})'`);
  }
  // area: a proper average when shrinking 4K to 320 px, where bilinear would alias
  filters.push(`scale=${spec.outWidth}:${spec.outHeight}:flags=area`, 'format=rgb24', 'showinfo');
  return [
    '-hide_banner', '-nostats',
    // level prefixes tell decoder errors apart; info is showinfo's level
    '-loglevel', 'level+info',
    // one thread: frame threads would hold pictures back, and CPU per camera stays predictable
    '-threads', '1',
    // pictures are shrunk to a thumbnail: deblocking is invisible there, and costly
    '-skip_loop_filter', 'all',
    '-flags2', 'fast',
    // start on the first packet instead of probing seconds of input
    '-probesize', '32', '-analyzeduration', '0',
    // IVF names no HEVC fourcc ffmpeg knows; naming the decoder covers both codecs
    '-c:v', spec.codec === 'h264' ? 'h264' : 'hevc',
    '-f', 'ivf', '-i', 'pipe:0',
    '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    // our pts, untouched and one picture per decoded frame
    '-copyts', '-vsync', 'passthrough',
    // the rawvideo encoder is frame-threaded in ffmpeg 5+: more threads hold a picture back
    '-threads', '1',
    '-flush_packets', '1',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
}

export class DecoderProcess<T> {
  private readonly proc: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly frameBytes: number;
  private partial: Buffer;
  private partialLength = 0;
  /** pictures read from stdout whose showinfo line has not been read yet */
  private readonly pictures: Buffer[] = [];
  /** showinfo pts (and damage) whose picture has not been read yet */
  private readonly infos: { pts: number; damaged: boolean }[] = [];
  /** frames sent and not yet returned or skipped, in pts order */
  private pending: { pts: number; meta: T }[] = [];
  private errLine = '';
  private sawError = false;
  private readonly errors: string[] = [];
  private requested = false;
  private exited = false;
  private readonly exitPromise: Promise<void>;
  picturesOut = 0;

  constructor(
    readonly spec: DecoderSpec,
    private readonly handlers: DecoderHandlers<T>,
    private readonly log: Logger,
  ) {
    this.frameBytes = spec.outWidth * spec.outHeight * 3;
    this.partial = Buffer.allocUnsafe(this.frameBytes);
    this.proc = spawn(spec.ffmpegPath, decoderArgs(spec), { stdio: ['pipe', 'pipe', 'pipe'] });
    let spawnError: NodeJS.ErrnoException | undefined;
    this.exitPromise = new Promise((resolve) => {
      this.proc.on('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
        // 'close' follows an 'error' from spawn only on some Node versions
        if (err.code === 'ENOENT' || err.code === 'EACCES') this.finish(null, null, err, resolve);
      });
      this.proc.on('close', (code, signal) => this.finish(code, signal, spawnError, resolve));
    });
    // EPIPE when ffmpeg died mid-write: 'close' reports it
    this.proc.stdin.on('error', () => {});
    this.proc.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (text: string) => this.onStderr(text));
    this.proc.stdin.write(ivfHeader(spec.codec === 'h264' ? 'H264' : 'HEVC', spec.width, spec.height));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Bytes written but not yet taken by ffmpeg. */
  get backlogBytes(): number {
    return this.proc.stdin.writableLength;
  }

  /** Frames sent whose picture has not come back. */
  get pendingFrames(): number {
    return this.pending.length;
  }

  /** The last error lines ffmpeg printed. */
  get lastErrors(): readonly string[] {
    return this.errors;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Sends one frame (an Annex-B access unit) with the pts its picture will carry. */
  send(pts: number, accessUnit: Buffer, meta: T): void {
    if (this.exited || this.requested) return;
    const p = Math.max(0, Math.trunc(pts));
    // sorted by pts: B-frames arrive out of pts order in extraFps mode
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].pts > p) i--;
    this.pending.splice(i, 0, { pts: p, meta });
    this.proc.stdin.write(ivfFrameHeader(accessUnit.length, p));
    this.proc.stdin.write(accessUnit);
  }

  /** Closes stdin so ffmpeg returns the pictures it holds and exits; killed if it takes longer than graceMs. */
  async end(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    this.requested = true;
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.exited) return;
    this.requested = true;
    this.proc.kill('SIGKILL');
  }

  whenExited(): Promise<void> {
    return this.exitPromise;
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, error: NodeJS.ErrnoException | undefined, resolve: () => void): void {
    if (this.exited) return;
    this.exited = true;
    if (this.errLine) this.onLine(this.errLine);
    const skipped = this.pending.map((p) => p.meta);
    this.pending = [];
    if (skipped.length > 0) this.handlers.onSkipped?.(skipped);
    this.handlers.onExit({ code, signal, error, lastErrors: [...this.errors], requested: this.requested });
    resolve();
  }

  private onStdout(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const take = Math.min(this.frameBytes - this.partialLength, chunk.length - pos);
      chunk.copy(this.partial, this.partialLength, pos, pos + take);
      this.partialLength += take;
      pos += take;
      if (this.partialLength === this.frameBytes) {
        this.pictures.push(this.partial);
        this.partial = Buffer.allocUnsafe(this.frameBytes);
        this.partialLength = 0;
        this.pair();
      }
    }
  }

  private onStderr(text: string): void {
    const lines = (this.errLine + text).split('\n');
    this.errLine = lines.pop()!.slice(-MAX_LINE);
    for (const line of lines) this.onLine(line.slice(0, MAX_LINE));
  }

  private onLine(line: string): void {
    const m = SHOWINFO.exec(line);
    if (m) {
      this.infos.push({ pts: Number(m[1]), damaged: this.sawError });
      this.sawError = false;
      this.pair();
      return;
    }
    if (ERROR_LINE.test(line)) {
      this.sawError = true;
      this.errors.push(line.trim());
      if (this.errors.length > ERRORS_KEPT) this.errors.shift();
      this.log.debug({ line: line.trim() }, 'decoder error line');
    } else if (line.trim()) {
      this.log.trace({ line: line.trim() }, 'ffmpeg');
    }
  }

  private pair(): void {
    while (this.pictures.length > 0 && this.infos.length > 0) {
      const rgb = this.pictures.shift()!;
      const info = this.infos.shift()!;
      // pictures come out in pts order: frames before this one will never come
      let n = 0;
      while (n < this.pending.length && this.pending[n].pts < info.pts) n++;
      const skipped = this.pending.splice(0, n).map((p) => p.meta);
      if (skipped.length > 0) this.handlers.onSkipped?.(skipped);
      const match = this.pending[0]?.pts === info.pts ? this.pending.shift()! : undefined;
      if (!match) {
        this.log.debug({ pts: info.pts }, 'decoder returned a picture for no frame we sent; ignored');
        continue;
      }
      this.picturesOut++;
      this.handlers.onPicture({
        pts: info.pts,
        width: this.spec.outWidth,
        height: this.spec.outHeight,
        rgb,
        damaged: info.damaged,
        meta: match.meta,
      });
    }
  }
}
