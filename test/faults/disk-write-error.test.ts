/**
 * Fault: write errors on the recordings disk, hitting the segment writer
 * itself. Each of two cameras' folders is its own tiny tmpfs, nearly full,
 * so their writes fail with ENOSPC in the middle of a segment (the main disk,
 * where retention looks, stays fine: this is the raw error path, not
 * test/e2e/retention.test.ts's free-space floor). The recorder logs once,
 * keeps what reached the disk as whole frames, indexes nothing the disk
 * refused, and records again when space comes back; a third camera on the
 * main disk records throughout. Root only (mount); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startTestApp } from '../helpers/app-harness.js';
import { waitFor, type Run } from '../helpers/media-tools.js';
import { assertContinuous, assertFilesIntact, assertFootageKept, cheapPublisher, rowsOf, sleep, snapshotFootage, withTmpfs } from './fault-kit.js';

const root = mkdtempSync(join(tmpdir(), 'nvr-diskerr-'));
after(() => rmSync(root, { recursive: true, force: true }));

const victims = ['fullflv', 'fullmp4'];

/** Files under a folder, relative to `base`. */
function files(base: string, dir: string): string[] {
  return readdirSync(join(base, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(base, `${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

test('ENOSPC in the middle of segments: logged once, whole frames kept, nothing refused is indexed, recording resumes; others unaffected', async (ctx) => {
  const dataDir = join(root, 'data');
  const [flvDir, mp4Dir] = victims.map((c) => join(dataDir, 'recordings', c));
  await withTmpfs(ctx, flvDir, 2, () =>
    withTmpfs(ctx, mp4Dir, 2, async () => {
      // nearly full: about 100 KB left each, a few seconds of video
      for (const dir of [flvDir, mp4Dir]) {
        const s = statfsSync(dir);
        writeFileSync(join(dir, 'filler'), Buffer.alloc(s.bavail * s.bsize - 100_000));
      }
      const t = await startTestApp({
        dataDir,
        log: { level: 'info' },
        cameras: [
          { id: 'steady', motion: { enabled: false }, recording: { segmentSeconds: 2 } },
          // longer than the ~3 s the space left holds: the disk fills in the middle of the first segment
          { id: 'fullflv', motion: { enabled: false }, recording: { format: 'flv', segmentSeconds: 6 } },
          { id: 'fullmp4', motion: { enabled: false }, recording: { format: 'mp4', segmentSeconds: 6 } },
        ],
      });
      const pubs: Run[] = ['steady', ...victims].map((c) => cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/${c}`, 60));
      try {
        const failed = (cam: string) => t.logs.filter((l) => l.camera === cam && l.level === 50);
        await waitFor(() => victims.every((c) => failed(c).length > 0), 'writes failing on both small disks', 30_000);
        const failedAt = Date.now();
        const written = snapshotFootage(dataDir, [...rowsOf(t.app.storage.segments, 'steady'), ...victims.flatMap((c) => rowsOf(t.app.storage.segments, c))]);
        // keyframes keep coming (one a second) and each tries a new file: still one error line per camera
        await sleep(3500);
        for (const c of victims) {
          assert.equal(failed(c).length, 1, `${c}: ${JSON.stringify(failed(c).map((l) => l.msg))}`);
          assert.match(JSON.stringify(failed(c)[0]), /ENOSPC/, `${c}: the line names the cause`);
        }
        assert.ok(t.app.hub.list().every((c) => c.live), 'every camera still live');

        // space comes back: the same cameras record again, without a restart
        for (const dir of [flvDir, mp4Dir]) rmSync(join(dir, 'filler'));
        const freedAt = Date.now();
        await waitFor(() => victims.every((c) => t.logs.some((l) => l.camera === c && l.msg === 'segments are written again after write errors')), 'recording again', 15_000);
        const recordedAgain = (c: string) => rowsOf(t.app.storage.segments, c).some((r) => r.state === 'closed' && r.endReason !== 'write-error' && r.endMs >= freedAt + 1000);
        await waitFor(() => victims.every(recordedAgain), 'new footage after space came back', 10_000);

        const stoppedAt = Date.now();
        for (const p of pubs) p.proc.kill('SIGTERM');
        await Promise.all(pubs.map((p) => p.exited));
        const rows = await waitFor(() => {
          const r = ['steady', ...victims].flatMap((c) => rowsOf(t.app.storage.segments, c));
          return r.every((x) => x.state === 'closed') ? r : null;
        }, 'every row closed');
        assertContinuous(rows.filter((r) => r.cameraId === 'steady'), 'steady', { fromMs: failedAt - 1000, toMs: stoppedAt - 500 });
        // every row's file is whole and decodes, including the ones cut short by ENOSPC; no row for what the disk refused
        await assertFilesIntact(dataDir, rows, 'recordings');
        for (const c of victims) {
          const mine = rows.filter((r) => r.cameraId === c);
          const cut = mine.find((r) => r.endReason === 'write-error');
          assert.ok(cut && cut.frames > 10, `${c}: the segment the error hit keeps its whole frames: ${JSON.stringify(mine.map((r) => [r.endReason, r.frames]))}`);
          assert.deepEqual(files(dataDir, `recordings/${c}`).filter((f) => !mine.some((r) => r.path === f)), [], `${c}: files without a row`);
        }
        assertFootageKept(dataDir, t.app.storage.segments, written, 'before the disk filled');
        ctx.diagnostic(`write-error segments: ${rows.filter((r) => r.endReason === 'write-error').map((r) => `${r.cameraId} ${r.frames} frames`).join(', ')}`);
      } finally {
        for (const p of pubs) p.proc.kill('SIGKILL');
        await t.stop();
      }
    }),
  );
});
