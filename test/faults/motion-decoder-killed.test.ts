/**
 * Fault: the motion decoder (one ffmpeg per camera) is killed with SIGKILL,
 * again and again, while the camera records. Recording is unaffected; motion
 * restarts with a doubling backoff and GET /api/cameras says so; once a
 * decoder is left alone, motion is back to ok. (test/e2e/motion-failures
 * covers a missing ffmpeg; this is a running one dying.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CameraStatus } from '../../src/hub/camera-status.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { assertContinuous, assertFilesIntact, assertFootageKept, cheapPublisher, rowsOf, snapshotFootage } from './fault-kit.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({
    log: { level: 'info' },
    motion: { ffmpegPath: 'ffmpeg', restartMinMs: 1000, restartMaxMs: 4000 },
    cameras: [
      { id: 'watched', recording: { segmentSeconds: 2 } },
      { id: 'steady', motion: { enabled: false }, recording: { format: 'mp4', segmentSeconds: 2 } },
    ],
  });
});
after(() => t.stop());

const motionOf = async (id: string) => (await t.get<CameraStatus[]>('/api/cameras')).find((c) => c.id === id)!.motion!;
const decoderPid = () => t.app.motion.cameras.get('watched')!.decoderPid;

test('the motion decoder killed three times: recording goes on, restarts back off (1 s, 2 s, 4 s), status says so, then ok again', async () => {
  const watched = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/watched`, 60);
  const steady = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/steady`, 60);
  try {
    await waitFor(async () => (await motionOf('watched')).state === 'ok', 'motion ok', 15_000);
    const closedRows = () => [...rowsOf(t.app.storage.segments, 'watched'), ...rowsOf(t.app.storage.segments, 'steady')].filter((r) => r.state === 'closed');
    await waitFor(() => closedRows().length >= 2, 'footage written before the fault', 10_000);
    const faultFrom = Date.now();
    const written = snapshotFootage(t.dataDir, [...rowsOf(t.app.storage.segments, 'watched'), ...rowsOf(t.app.storage.segments, 'steady')]);
    const restartDelays: number[] = [];
    const messages: string[] = [];
    for (const expected of [1, 2, 4]) {
      const pid = await waitFor(decoderPid, 'a decoder running', 10_000);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      const status = await waitFor(async () => {
        const m = await motionOf('watched');
        return m.state === 'decoder-error' ? m : null;
      }, 'decoder-error status');
      messages.push(status.message!);
      assert.match(status.message!, new RegExp(`^ffmpeg was killed \\(SIGKILL\\).*; retrying in ${expected} s$`));
      assert.equal(t.app.hub.list().find((c) => c.id === 'watched')!.recording, true, 'still recording');
      // the next decoder starts at the first keyframe after the backoff (one a second here)
      await waitFor(() => decoderPid() !== undefined && decoderPid() !== pid, 'restarted', expected * 1000 + 4000);
      restartDelays.push(Date.now() - killedAt);
      // let it decode one picture (so it counts as started) but not three (which would reset the backoff)
      await waitFor(async () => (await motionOf('watched')).state === 'ok', 'decoding again', 5000);
    }
    for (const [i, d] of restartDelays.entries()) assert.ok(d >= [1000, 2000, 4000][i] - 100, `restart ${i + 1} after ${d} ms`);
    assert.ok(restartDelays[2] > restartDelays[0] + 1500, `backoff grows: ${restartDelays.join(', ')} ms`);
    assert.equal(t.app.motion.cameras.get('watched')!.stats.restarts, 3);
    assert.equal(t.logs.filter((l) => l.msg === 'motion decoder stopped' && l.camera === 'watched').length, 3, 'one line per crash');
    // left alone, it stays ok and produces thumbnails
    const thumbsBefore = t.app.storage.db.prepare("SELECT COUNT(*) FROM thumbnails WHERE camera_id = 'watched'").pluck().get() as number;
    await waitFor(() => (t.app.storage.db.prepare("SELECT COUNT(*) FROM thumbnails WHERE camera_id = 'watched'").pluck().get() as number) > thumbsBefore, 'thumbnails again', 5000);
    assert.equal((await motionOf('watched')).state, 'ok');
    const faultTo = Date.now();

    for (const p of [watched, steady]) p.proc.kill('SIGTERM');
    await Promise.all([watched.exited, steady.exited]);
    const rows = await waitFor(() => {
      const r = [...rowsOf(t.app.storage.segments, 'watched'), ...rowsOf(t.app.storage.segments, 'steady')];
      return r.every((x) => x.state === 'closed') ? r : null;
    }, 'segments closed');
    // the camera whose decoder kept dying recorded without a gap, like the other one
    for (const cam of ['watched', 'steady']) assertContinuous(rows.filter((r) => r.cameraId === cam), cam, { fromMs: faultFrom, toMs: faultTo });
    await assertFilesIntact(t.dataDir, rows, 'recordings');
    assertFootageKept(t.dataDir, t.app.storage.segments, written, 'before the kills');
    assert.ok(!t.logs.some((l) => l.msg === 'recorder error' || l.msg === 'recorder fell behind the disk: frames dropped up to the next keyframe'));
  } finally {
    watched.proc.kill('SIGKILL');
    steady.proc.kill('SIGKILL');
  }
});
