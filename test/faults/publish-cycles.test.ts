/**
 * Fault: 1,000 publish/unpublish cycles over real TCP (connect, publish, a
 * few frames with a keyframe, then unpublish or a plain disconnect), eight
 * cameras at a time, with a live viewer now and then, while another camera
 * records throughout. Afterwards nothing is left behind: no file
 * descriptors, no heap growth beyond noise, no hub consumers, every publish
 * session ended and every segment row finalised.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';
import { assertContinuous, assertFilesIntact, cheapPublisher, clip, rowsOf, sleep } from './fault-kit.js';

const CYCLES = Number(process.env.FAULT_CYCLES ?? 1000);
const LANES = 8;
const lanes = Array.from({ length: LANES }, (_, i) => `cycler${i}`);

let t: TestApp;
const root = mkdtempSync(join(tmpdir(), 'nvr-cycles-'));
let mounted = false;
before(async () => {
  // a thousand segment closes are a thousand fsyncs: on a tmpfs (root only) they cost nothing, and leaks are what this test is about
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256M', 'tmpfs', dataDir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    // not root: the plain disk, slower
  }
  t = await startTestApp({
    dataDir,
    retention: { minFreeBytes: 0, minFreePercent: 0 }, // a small tmpfs is not "below the floor"
    log: { level: 'warn' }, // the harness keeps every log line in memory: keep them out of the heap numbers
    cameras: [
      { id: 'steady', motion: { enabled: false }, recording: { segmentSeconds: 2 } },
      // one cycling camera runs motion detection too: its decoder starts and is retired each cycle
      ...lanes.map((id, i) => ({ id, motion: { enabled: i === 0 }, recording: { format: i % 2 ? 'mp4' : 'flv', segmentSeconds: 60 } })),
    ],
  });
});
after(async () => {
  await t.stop();
  if (mounted) execFileSync('umount', ['-l', join(root, 'data')]);
  rmSync(root, { recursive: true, force: true });
});

/** A full collection (the runner has no --expose-gc: turn it on at runtime). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  collect();
  collect();
}
const fds = () => readdirSync('/proc/self/fd').length;
const stream = (id: string) => t.app.hub.stream(id)!;

/** Sequence headers, the first keyframe and a few frames after it. */
const head = () => {
  const tags = clip(2);
  const key = tags.findIndex((x) => x.type === 9 && x.body[0] >> 4 === 1 && x.body[1] === 1);
  return tags.slice(0, key + 8);
};

async function cycle(cam: string, n: number): Promise<void> {
  const c = await TestRtmpClient.connect(t.rtmpPort);
  c.socket.setNoDelay(true); // as encoders do: Nagle and delayed ACKs would make each command round trip 40 ms
  try {
    assert.equal(await c.publish(cam, { fcPublish: n % 3 === 0 }), 'NetStream.Publish.Start', `${cam} cycle ${n}`);
    for (const tag of head()) {
      if (tag.type === 9) c.video(tag.timestamp, tag.body);
      else c.audio(tag.timestamp, tag.body);
    }
    if (n % 25 === 0) await watchBriefly(cam);
    if (n % 2 === 0) {
      // a clean unpublish, as ffmpeg and OBS do, then the close
      c.command(1, 'FCUnpublish', 6, null, cam);
      c.command(0, 'deleteStream', 7, null, 1);
      await c.waitCommand('onStatus', 2);
    }
  } finally {
    c.close();
  }
  // the next publish of this camera must not find it still taken
  while (stream(cam).live) await sleep(2);
}

/** An HTTP-FLV viewer that reads the first bytes, then goes away. */
async function watchBriefly(cam: string): Promise<void> {
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${t.httpPort}/live/${cam}.flv`, { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  await reader.cancel().catch(() => {});
}

async function run(cycles: number, offset: number): Promise<void> {
  let next = 0;
  await Promise.all(
    lanes.map(async (cam) => {
      while (next < cycles) await cycle(cam, offset + next++);
    }),
  );
}

/** Every recorder has written and closed what it was given. */
async function settled(): Promise<void> {
  await waitFor(() => lanes.every((c) => !stream(c).live) && t.app.storage.segments.listOpen().every((r) => r.cameraId === 'steady'), 'cycling cameras settled', 30_000);
  await sleep(300);
}

test('1,000 publish/unpublish cycles: no leaked descriptors, memory, consumers, sessions or open segments', async (ctx) => {
  const steady = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/steady`, 120);
  try {
    await waitFor(() => stream('steady').live, 'steady live', 10_000);
    // warm-up: lazily opened things (prepared statements, the WAL, day folders, JIT) exist before the baseline
    await run(3 * LANES, 0);
    await settled();
    gc();
    const base = { fds: fds(), heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss };
    const consumers = new Map(lanes.map((c) => [c, stream(c).consumerCount()]));
    const t0 = Date.now();
    await run(CYCLES, 1000);
    const seconds = (Date.now() - t0) / 1000;
    await settled();
    gc();
    const end = { fds: fds(), heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss };
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    ctx.diagnostic(
      `${mounted ? 'tmpfs' : 'disk'}: ${CYCLES} cycles in ${seconds.toFixed(1)} s; fds ${base.fds} -> ${end.fds}; heap ${mb(base.heap)} -> ${mb(end.heap)} MiB; rss ${mb(base.rss)} -> ${mb(end.rss)} MiB`,
    );
    assert.ok(end.fds <= base.fds + 4, `file descriptors ${base.fds} -> ${end.fds}`);
    // a leak of 4 KiB per cycle would show; the rest is allocator and JIT noise
    assert.ok(end.heap - base.heap < 4 * 2 ** 20, `heap grew ${mb(end.heap - base.heap)} MiB`);
    assert.ok(end.rss - base.rss < 64 * 2 ** 20, `rss grew ${mb(end.rss - base.rss)} MiB`);
    for (const c of lanes) assert.equal(stream(c).consumerCount(), consumers.get(c), `${c}: consumers left attached`);

    const db = t.app.storage.db;
    const sessions = db.prepare("SELECT COUNT(*) AS n, SUM(ended_at IS NULL) AS open FROM publish_sessions WHERE camera_id LIKE 'cycler%'").get() as { n: number; open: number };
    assert.equal(sessions.n, CYCLES + 3 * LANES);
    assert.equal(sessions.open, 0, 'publish sessions left open');
    const segs = db.prepare("SELECT COUNT(*) AS n, SUM(state != 'closed') AS notClosed, SUM(frames = 0) AS empty FROM segments WHERE camera_id LIKE 'cycler%'").get() as { n: number; notClosed: number; empty: number };
    assert.equal(segs.n, CYCLES + 3 * LANES, 'one segment per publish');
    assert.equal(segs.notClosed, 0, 'segment rows not finalised');
    assert.equal(segs.empty, 0, 'segments without a frame');
    // a sample of the cycling cameras' files: whole and decodable
    const sample = lanes.flatMap((c) => rowsOf(t.app.storage.segments, c).slice(-2));
    await assertFilesIntact(t.dataDir, sample, 'cycled segments');

    const stoppedAt = Date.now();
    steady.proc.kill('SIGTERM');
    await steady.exited;
    const rows = await waitFor(() => {
      const r = rowsOf(t.app.storage.segments, 'steady');
      return r.every((x) => x.state === 'closed') ? r : null;
    }, 'steady closed');
    assertContinuous(rows, 'steady', { fromMs: t0, toMs: stoppedAt - 500 });
    await assertFilesIntact(t.dataDir, rows, 'steady');
  } finally {
    steady.proc.kill('SIGKILL');
  }
});
