/**
 * Shared checks for the fault tests: what "other cameras keep recording" and
 * "nothing already written is lost" mean, asserted on the index and the files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanFlvFile } from '../../src/recording/recover-flv.js';
import { scanMp4File } from '../../src/recording/recover-mp4.js';
import type { SegmentRow, Segments } from '../../src/storage/segments.js';
import { decodeErrors } from '../helpers/ffprobe.js';
import { ffmpegPublish, type Run } from '../helpers/media-tools.js';
import type { TestRtmpClient } from '../helpers/rtmp-client.js';
import { flvTags, type FlvTag } from '../media/flv-file.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A cheap real publisher: 160x120 H.264, one keyframe a second, no audio unless asked. */
export function cheapPublisher(url: string, seconds: number, opts: { audio?: boolean; fps?: number } = {}): Run {
  const fps = opts.fps ?? 15;
  return ffmpegPublish(url, { seconds, size: '160x120', fps, gop: fps, audio: opts.audio ?? false });
}

/** All of a camera's rows, oldest first. */
export function rowsOf(segments: Segments, cameraId: string): SegmentRow[] {
  return segments.list(cameraId, 0, Date.now() + 3_600_000);
}

/**
 * A camera that published without a break was recorded without one: every
 * row closed, each starting where the one before ended (cuts happen on a
 * keyframe: allow a frame or two plus scheduling), covering [from, to].
 */
export function assertContinuous(rows: SegmentRow[], what: string, cover?: { fromMs: number; toMs: number }, maxGapMs = 400): void {
  assert.ok(rows.length > 0, `${what}: no segments`);
  for (const r of rows) assert.equal(r.state, 'closed', `${what}: segment ${r.id} (${r.path}) is ${r.state}`);
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i].startMs - rows[i - 1].endMs;
    assert.ok(gap <= maxGapMs && gap > -maxGapMs, `${what}: ${gap} ms between segments ${rows[i - 1].id} and ${rows[i].id} (${rows[i - 1].endReason})`);
  }
  if (cover) {
    assert.ok(rows[0].startMs <= cover.fromMs, `${what}: recording started ${rows[0].startMs - cover.fromMs} ms after the fault window opened`);
    assert.ok(rows.at(-1)!.endMs >= cover.toMs, `${what}: recording ended ${cover.toMs - rows.at(-1)!.endMs} ms before the fault window closed`);
  }
}

/**
 * Each closed row's file holds exactly its bytes, all of them whole tags or
 * fragments, and decodes without an error.
 */
export async function assertFilesIntact(dataDir: string, rows: SegmentRow[], what: string): Promise<void> {
  for (const r of rows) {
    const file = join(dataDir, r.path);
    assert.ok(existsSync(file), `${what}: ${r.path} is gone`);
    const size = statSync(file).size;
    if (r.state === 'closed') assert.equal(r.bytes, size, `${what}: row ${r.id} says ${r.bytes} bytes, the file has ${size}`);
    const scan = await (r.format === 'flv' ? scanFlvFile(file) : scanMp4File(file));
    assert.equal(scan.validEnd, size, `${what}: ${r.path} has a torn tail (${size - scan.validEnd} bytes)`);
    assert.ok(scan.frames > 0, `${what}: ${r.path} holds no frame`);
    assert.equal(await decodeErrors(file), '', `${what}: ${r.path} decodes with errors`);
  }
}

/** Hashes of the files of closed rows: footage written before a fault. */
export function snapshotFootage(dataDir: string, rows: SegmentRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) if (r.state === 'closed') out.set(r.path, createHash('sha1').update(readFileSync(join(dataDir, r.path))).digest('hex'));
  return out;
}

/** The footage snapshotted before the fault is still there, byte for byte, and still indexed. */
export function assertFootageKept(dataDir: string, segments: Segments, before: Map<string, string>, what: string): void {
  assert.ok(before.size > 0, `${what}: nothing was written before the fault`);
  for (const [path, hash] of before) {
    const row = segments.getByPath(path);
    assert.ok(row && row.state === 'closed', `${what}: ${path} lost its row`);
    const now = createHash('sha1').update(readFileSync(join(dataDir, path))).digest('hex');
    assert.equal(now, hash, `${what}: ${path} changed after it was closed`);
  }
}

const clips = new Map<string, FlvTag[]>();

/** Audio and video tags of a small ffmpeg-made FLV (160x120 H.264 + AAC, keyframe each second), made once per process. */
export function clip(seconds = 2): FlvTag[] {
  const key = String(seconds);
  let tags = clips.get(key);
  if (!tags) {
    const dir = mkdtempSync(join(tmpdir(), 'nvr-clip-'));
    try {
      const file = join(dir, 'clip.flv');
      execFileSync('ffmpeg', [
        '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
        '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-c:a', 'aac', '-f', 'flv', file,
      ]);
      tags = [...flvTags(readFileSync(file))].filter((x) => x.type === 8 || x.type === 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    clips.set(key, tags);
  }
  return tags;
}

/** Sends tags as RTMP messages, paced in real time unless `paced` is false. */
export async function replay(client: TestRtmpClient, tags: FlvTag[], offsetMs = 0, paced = true): Promise<void> {
  const t0 = Date.now();
  for (const tag of tags) {
    const ts = tag.timestamp + offsetMs;
    if (tag.type === 9) client.video(ts, tag.body);
    else client.audio(ts, tag.body);
    const due = t0 + tag.timestamp - tags[0].timestamp;
    if (paced && due > Date.now()) await sleep(due - Date.now());
  }
}

/** A size-limited tmpfs mounted at `dir` (created) for `body`; skipped when mounting is not allowed. */
export async function withTmpfs(ctx: { skip(msg: string): void }, dir: string, sizeMiB: number, body: () => Promise<void>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}M`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    ctx.skip('mounting a tmpfs needs root (mount -t tmpfs failed)');
    return;
  }
  try {
    await body();
  } finally {
    execFileSync('umount', ['-l', dir]);
  }
}

/** Log lines at error level or above, with their messages (for diagnostics and "no crash" checks). */
export function errorLines(logs: Record<string, unknown>[]): string[] {
  return logs.filter((l) => (l.level as number) >= 50).map((l) => String(l.msg));
}
