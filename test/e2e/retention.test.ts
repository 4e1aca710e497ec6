/**
 * Retention end to end: a real app, ffmpeg publishing, node-cron firing every
 * second. A camera's byte budget holds while it records; on a real small
 * filesystem (a size-limited tmpfs, root only) recording pauses when the disk
 * is below its floor with nothing to delete, comes back when space does, then
 * keeps recording while the floor check deletes the oldest footage; the index
 * matches the files at the end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { DiskGate } from '../../src/retention/disk-gate.js';
import { Retention } from '../../src/retention/retention.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, waitFor } from '../helpers/media-tools.js';

const MiB = 2 ** 20;
const silentLog = pino({ level: 'silent' });

interface Storage {
  disk: { totalBytes: number; freeBytes: number; floorBytes: number };
  bytes: number;
  bytesPerSecond: number;
  fullAt: string | null;
  fullAtMs: number | null;
  recording: 'ok' | 'paused';
  alerts: { code: string; message: string; since: string }[];
  retention: Record<string, unknown>;
  cameras: { id: string; configured: boolean; bytes: number; segments: number; oldest: string | null; oldestMs: number | null; bytesPerSecond: number; retention: Record<string, unknown> }[];
  lastPass: { deleted: number } | null;
}
interface Seg {
  id: number;
  bytes: number;
  open: boolean;
  url: string;
}

const segments = (t: TestApp, cam: string) => t.get<Seg[]>(`/api/cameras/${cam}/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows (not flagged missing) and files under recordings/ are the same set. */
function assertIndexMatchesFiles(t: TestApp): void {
  const rows = (t.app.storage.db.prepare("SELECT path FROM segments WHERE state != 'missing'").pluck().all() as string[]).sort();
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(t.dataDir, p));
    }
  };
  walk(join(t.dataDir, 'recordings'));
  assert.deepEqual(files.sort(), rows);
  assert.equal(t.app.storage.db.pragma('integrity_check', { simple: true }), 'ok');
}

test("GET /api/storage, and a camera's byte budget holds while it records", async () => {
  const maxBytes = 600_000;
  const t = await startTestApp({
    retention: { schedule: '* * * * * *' },
    cameras: [
      { id: 'budget', recording: { segmentSeconds: 1 }, retention: { days: 3, eventDays: 9, maxBytes } },
      { id: 'idle', retention: { days: 5 } },
    ],
  });
  try {
    const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/budget`, { seconds: 12, gop: 25 });
    let maxSeen = 0;
    let maxSeg = 0;
    let during: Storage | null = null;
    while (pub.proc.exitCode === null) {
      const s = await t.get<Storage>('/api/storage');
      const cam = s.cameras.find((c) => c.id === 'budget')!;
      maxSeen = Math.max(maxSeen, cam.bytes);
      for (const seg of await segments(t, 'budget')) maxSeg = Math.max(maxSeg, seg.bytes);
      if (cam.bytesPerSecond > 0) during = s;
      await sleep(200);
    }
    assert.equal(await pub.exited, 0, pub.stderr());
    assert.ok(maxSeg > 0);
    // passes run every second: at most the segment being written and one closed since the last pass over the budget
    assert.ok(maxSeen <= maxBytes + 2 * maxSeg, `${maxSeen} bytes seen for a ${maxBytes} budget (segments up to ${maxSeg})`);
    await waitFor(async () => (await segments(t, 'budget')).every((s) => !s.open), 'the last segment closed');
    await sleep(1500); // one more pass
    const after = await t.get<Storage>('/api/storage');
    const cam = after.cameras.find((c) => c.id === 'budget')!;
    assert.ok(cam.bytes <= maxBytes, `${cam.bytes} bytes kept for a ${maxBytes} budget`);
    assert.ok(cam.segments >= 1 && cam.oldest !== null && Date.parse(cam.oldest) === cam.oldestMs);
    assert.deepEqual(cam.retention, { days: 3, eventDays: 9, maxBytes });
    assert.ok(after.lastPass && after.lastPass.deleted >= 0);
    assert.ok(t.logs.some((l) => l.msg === 'retention pass' && (l.deleted as number) > 0), 'a pass deleted footage');

    // the shape: volume, footage, rules, forecast
    assert.ok(during, 'a write rate was seen while recording');
    assert.ok(during.bytesPerSecond > 50_000 && during.bytesPerSecond < 1_000_000, `${during.bytesPerSecond} B/s`);
    assert.ok(during.fullAtMs! > Date.now() && Date.parse(during.fullAt!) === during.fullAtMs);
    assert.ok(after.disk.totalBytes > 0 && after.disk.freeBytes > 0 && after.disk.floorBytes >= 2 ** 30);
    assert.equal(after.recording, 'ok');
    assert.deepEqual(after.alerts, []);
    assert.deepEqual(after.retention, { schedule: '* * * * * *', maxBytes: null, maxPercent: null, minFreeBytes: 2 ** 30, minFreePercent: 1 });
    assert.deepEqual(
      after.cameras.map((c) => c.id),
      ['budget', 'idle'],
    );
    assert.deepEqual(after.cameras[1], { id: 'idle', configured: true, bytes: 0, segments: 0, oldest: null, oldestMs: null, bytesPerSecond: 0, retention: { days: 5, eventDays: 60, maxBytes: null } });
    assertIndexMatchesFiles(t);
  } finally {
    await t.stop();
  }
});

/** A size-limited tmpfs at a fresh dataDir for `body`; skipped without root. */
async function withTmpfs(ctx: { skip(msg: string): void }, sizeMiB: number, body: (dataDir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nvr-tmpfs-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}M`, 'tmpfs', dataDir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    ctx.skip('mounting a tmpfs needs root');
    return;
  }
  try {
    await body(dataDir);
  } finally {
    execFileSync('umount', [dataDir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const freeBytes = (dir: string) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

test('a disk filled to the last byte by something else: writes fail cleanly, recording pauses, nothing crashes, and it resumes', async (ctx) => {
  await withTmpfs(ctx, 24, async (dataDir) => {
    const t = await startTestApp({ dataDir, retention: { minFreeBytes: 4 * MiB, minFreePercent: 0 }, cameras: [{ id: 'full', recording: { segmentSeconds: 1 } }] });
    const filler = join(dataDir, 'filler');
    try {
      const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/full`, { seconds: 30, gop: 25 });
      await waitFor(async () => (await segments(t, 'full')).length >= 2, 'recording');
      // another program takes every last byte
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(MiB);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(fd);
      }
      const paused = await waitFor(async () => {
        const s = await t.get<Storage>('/api/storage');
        return s.recording === 'paused' ? s : null;
      }, 'recording paused', 15_000);
      assert.equal(paused.alerts[0].code, 'RECORDING_PAUSED');
      assert.ok(paused.cameras[0].segments <= 1, 'everything but the segment being written went before pausing');
      const [cam] = await t.get<{ live: boolean }[]>('/api/cameras');
      assert.equal(cam.live, true, 'live view goes on');

      rmSync(filler);
      await waitFor(async () => (await t.get<Storage>('/api/storage')).recording === 'ok', 'recording resumed');
      await waitFor(async () => (await segments(t, 'full')).length >= 2, 'new segments');
      pub.proc.kill('SIGKILL');
      await waitFor(async () => !(await segments(t, 'full')).at(-1)!.open, 'the last segment closed');
      // a close SQLite could not commit (disk full) leaves its row open: the pass finalises it once
      // its file has gone unwritten for the grace period (10 minutes in the app; none here)
      const retention = new Retention({ dataDir, segments: t.app.storage.segments, rules: { cameras: new Map(), fallback: { days: 14, eventDays: 60 }, volume: { minFreeBytes: 0, minFreePercent: 0 } }, schedule: '* * * * *', gate: new DiskGate(), log: silentLog, orphanGraceMs: 0 });
      const report = await retention.runPass();
      assert.ok((await segments(t, 'full')).every((s) => !s.open), 'no row left open');
      assertIndexMatchesFiles(t);
      const errors = new Set(t.logs.filter((l) => (l.level as number) >= 50).map((l) => l.msg));
      ctx.diagnostic(`error lines: ${JSON.stringify([...errors])}; rows left open and finalised: ${report.staleOpen}`);
    } finally {
      await t.stop();
    }
  });
});

test('a real small filesystem: paused below the floor with nothing to delete, recovers when space comes back, then deletes oldest first to keep recording', async (ctx) => {
  await withTmpfs(ctx, 24, async (dataDir) => {
    const free = () => freeBytes(dataDir);
    const floor = 8 * MiB;
    // the disk is nearly full before we start: 5 MiB left, the floor is 8
    const filler = join(dataDir, 'filler');
    writeFileSync(filler, Buffer.alloc(free() - 5 * MiB));
    const t = await startTestApp({
      dataDir,
      retention: { minFreeBytes: floor, minFreePercent: 0 },
      cameras: [{ id: 'disk', recording: { segmentSeconds: 1 } }],
    });
    try {
      const paused = await waitFor(async () => {
        const s = await t.get<Storage>('/api/storage');
        return s.recording === 'paused' ? s : null;
      }, 'recording paused');
      assert.equal(paused.alerts[0].code, 'RECORDING_PAUSED');
      assert.ok(t.logs.some((l) => l.level === 50 && String(l.msg).startsWith('RECORDING PAUSED')), 'one loud line');

      const pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/disk`, { seconds: 40, gop: 25 });
      // live view goes on: the camera is live and its stream flows; nothing is written
      await waitFor(async () => {
        const [cam] = await t.get<{ live: boolean; bitrateKbps: number }[]>('/api/cameras');
        return cam.live && cam.bitrateKbps > 0;
      }, 'the camera live');
      await sleep(2000);
      assert.deepEqual(await segments(t, 'disk'), []);
      assert.ok(t.logs.some((l) => l.msg === 'recording paused: the disk is below its free-space floor (live view goes on)'));

      // space comes back, but only 3 MiB above the floor: recording resumes, then the floor check makes room
      rmSync(filler);
      writeFileSync(filler, Buffer.alloc(free() - floor - 3 * MiB));
      const first = await waitFor(async () => (await segments(t, 'disk'))[0], 'recording resumed', 10_000);
      assert.equal((await t.get<Storage>('/api/storage')).recording, 'ok');
      let lowest = Infinity;
      await waitFor(
        async () => {
          lowest = Math.min(lowest, free());
          const segs = await segments(t, 'disk');
          return segs.length > 0 && segs[0].id !== first.id;
        },
        'the oldest segment deleted to stay above the floor',
        30_000,
      );
      // a few more seconds of recording at the floor: new segments keep coming, oldest ones go
      const before = (await segments(t, 'disk')).at(-1)!.id;
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        lowest = Math.min(lowest, free());
        await sleep(100);
      }
      assert.ok((await segments(t, 'disk')).at(-1)!.id > before, 'still recording');
      assert.equal((await t.get<Storage>('/api/storage')).recording, 'ok');
      // between two checks the disk may go below the floor by what the recorder writes meanwhile (~0.5 MB here)
      assert.ok(lowest > floor - 2 * MiB, `free space went down to ${(lowest / MiB).toFixed(1)} MiB (floor 8)`);
      const deletedFloor = t.logs.filter((l) => l.msg === 'free space was below the floor: deleted the oldest footage').length;
      ctx.diagnostic(`lowest free ${(lowest / MiB).toFixed(2)} MiB for an 8 MiB floor; ${deletedFloor} floor deletions`);
      assert.ok(!t.logs.some((l) => l.msg === 'write to segment failed; closing it'), 'no write ever failed');

      pub.proc.kill('SIGKILL');
      await waitFor(async () => (await segments(t, 'disk')).every((s) => !s.open), 'segments closed');
      await t.app.retention.runPass();
      assertIndexMatchesFiles(t);
    } finally {
      await t.stop();
    }
  });
});
