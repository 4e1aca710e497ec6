/**
 * Synthetic motion clips from ffmpeg's lavfi sources, with known truth: a
 * static, noisy scene (colour bars + temporal noise) and a high-contrast box
 * that moves only during given intervals; and the same scene under a global
 * light change with nothing moving. Used by the tests and the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CodecConfig, MediaFrame, VideoFrame } from '../../src/media/frame.js';
import { demuxFlvFile } from '../media/flv-file.js';

export type Interval = readonly [number, number];

export interface ClipSpec {
  seconds: number;
  width: number;
  height: number;
  fps: number;
  /** keyframe interval, seconds */
  gopSeconds: number;
  /** box: moves during these intervals (seconds); 'light': nothing moves, the light changes */
  scene: { kind: 'box'; intervals: Interval[] } | { kind: 'light' };
  codec?: 'h264' | 'h265';
  /** B-frames (libx264/libx265 defaults) instead of none */
  bframes?: boolean;
  /** temporal noise strength (ffmpeg noise filter alls), default 16 */
  noise?: number;
  /** target bitrate like a camera's (default: quality-based, large keyframes) */
  bitrateKbps?: number;
}

/** Where the box is: (x, y) of its top-left corner and its size, in pixels. */
export function boxGeometry(width: number, height: number): { size: number; cx: number; cy: number; r: number } {
  const size = Math.round(width / 8);
  return { size, cx: Math.round(width / 2 - size / 2), cy: Math.round(height / 2 - size / 2), r: Math.round(Math.min(width, height) * 0.33) };
}

/**
 * The box circles at 2*pi/5 rad per second of moving time, so keyframes 1 s
 * or 2 s apart find it well away from where it was.
 */
function boxFilter(spec: ClipSpec, intervals: Interval[]): { inputs: string[]; graph: string } {
  const { width: w, height: h, fps, noise = 16 } = spec;
  const g = boxGeometry(w, h);
  const moving = intervals.map(([a, b]) => `min(max(t-${a},0),${b - a})`).join('+') || '0';
  const angle = `(2*PI/5)*(${moving})`;
  const inner = Math.round(g.size / 4);
  return {
    inputs: [
      '-f', 'lavfi', '-i', `smptebars=size=${w}x${h}:rate=${fps}`,
      '-f', 'lavfi', '-i', `color=c=black:size=${g.size}x${g.size}:rate=${fps},drawbox=x=${inner}:y=${inner}:w=${g.size - 2 * inner}:h=${g.size - 2 * inner}:color=white:t=fill`,
    ],
    graph:
      `[0:v]noise=alls=${noise}:allf=t[bg];` +
      `[bg][1:v]overlay=x='${g.cx}+${g.r}*cos(${angle})':y='${g.cy}+${g.r}*sin(${angle})':eval=frame:shortest=1,format=yuv420p[v]`,
  };
}

/** Brightness ramps from dark to bright, then an IR-like switch to grey at 60% of the clip. */
function lightFilter(spec: ClipSpec): { inputs: string[]; graph: string } {
  const switchAt = Math.round(spec.seconds * 0.6);
  const slope = (0.45 / switchAt).toFixed(4);
  return {
    inputs: ['-f', 'lavfi', '-i', `smptebars=size=${spec.width}x${spec.height}:rate=${spec.fps}`],
    graph:
      `[0:v]noise=alls=${spec.noise ?? 16}:allf=t,` +
      `eq=eval=frame:brightness='if(lt(t,${switchAt}),-0.25+${slope}*t,0.1)':contrast='if(lt(t,${switchAt}),1,0.7)':saturation='if(lt(t,${switchAt}),1,0)',` +
      `format=yuv420p[v]`,
  };
}

export function clipArgs(spec: ClipSpec): string[] {
  const { inputs, graph } = spec.scene.kind === 'box' ? boxFilter(spec, spec.scene.intervals) : lightFilter(spec);
  const gop = Math.round(spec.gopSeconds * spec.fps);
  const codec = spec.codec ?? 'h264';
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...(spec.bframes ? [] : ['-bf', '0'])]
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:log-level=error${spec.bframes ? '' : ':bframes=0'}`];
  const rate = spec.bitrateKbps ? ['-b:v', `${spec.bitrateKbps}k`, '-maxrate', `${spec.bitrateKbps}k`, '-bufsize', `${spec.bitrateKbps * 2}k`] : [];
  return ['-hide_banner', '-loglevel', 'error', '-y', ...inputs, '-filter_complex', graph, '-map', '[v]', '-t', String(spec.seconds), ...enc, ...rate];
}

/** Writes an H.264 clip as FLV (for publishing with `ffmpeg -re -c copy`). */
export function makeFlvClip(file: string, spec: ClipSpec): void {
  execFileSync('ffmpeg', [...clipArgs({ ...spec, codec: 'h264' }), '-f', 'flv', file]);
}

/** Writes an HEVC Annex-B elementary stream. */
export function makeHevcClip(file: string, spec: ClipSpec): void {
  execFileSync('ffmpeg', [...clipArgs({ ...spec, codec: 'h265' }), '-f', 'hevc', file]);
}

/** An FLV clip through our demuxer: its video config and video frames. */
export function readFlvClip(file: string): { config: Extract<CodecConfig, { track: 'video' }>; frames: VideoFrame[] } {
  const { configs, frames } = demuxFlvFile(readFileSync(file));
  const config = configs.find((c): c is Extract<CodecConfig, { track: 'video' }> => c.track === 'video');
  if (!config) throw new Error(`${file} has no video config`);
  return { config, frames: frames.filter((f: MediaFrame): f is VideoFrame => f.track === 'video') };
}

/**
 * Truth per keyframe time t (seconds): whether the box moved between the
 * previous keyframe and this one, which is all keyframe analysis can see.
 */
export function movedSince(intervals: Interval[], prev: number, t: number): boolean {
  return intervals.some(([a, b]) => Math.min(b, t) - Math.max(a, prev) > 0);
}
