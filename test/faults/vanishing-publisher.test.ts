/**
 * Fault: a publisher vanishes in the middle of a video message (TCP RST while
 * a chunk is half sent). Its open segment is finalised with whole tags only,
 * the camera goes offline, a new publisher takes over at once; another camera
 * records throughout and what was written before the fault is untouched.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ChunkWriter } from '../../src/rtmp/chunk-writer.js';
import { MessageType } from '../../src/rtmp/message-types.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';
import { assertContinuous, assertFilesIntact, assertFootageKept, cheapPublisher, clip, replay, rowsOf, sleep, snapshotFootage } from './fault-kit.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({
    log: { level: 'info' },
    cameras: [
      { id: 'steady', motion: { enabled: false }, recording: { format: 'flv', segmentSeconds: 2 } },
      { id: 'gone-flv', motion: { enabled: false }, recording: { format: 'flv', segmentSeconds: 60 } },
      { id: 'gone-mp4', motion: { enabled: false }, recording: { format: 'mp4', segmentSeconds: 60 } },
    ],
  });
});
after(() => t.stop());

const live = (id: string) => t.app.hub.list().find((c) => c.id === id)!.live;

/** Writes the first `fraction` of a video message's chunks straight to the socket, then resets the connection (RST, no FIN). */
async function vanishMidMessage(c: TestRtmpClient, timestamp: number, body: Buffer, fraction: number): Promise<number> {
  const w = new ChunkWriter();
  w.chunkSize = 4096; // what publish() announced
  const bytes = Buffer.concat(w.write({ csid: 6, type: MessageType.Video, streamId: 1, timestamp, body }));
  const cut = Math.floor(bytes.length * fraction);
  // the half message reaches the server (and is read into its chunk reader) before the reset
  await new Promise((r) => c.socket.write(bytes.subarray(0, cut), r));
  await sleep(100);
  c.socket.resetAndDestroy();
  return cut;
}

test('a publisher reset mid-frame: whole tags kept, camera offline, a new publisher takes over at once, others unaffected', async () => {
  const tags = clip(2);
  const steady = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/steady`, 12);
  await waitFor(() => rowsOf(t.app.storage.segments, 'steady').filter((r) => r.state === 'closed').length >= 1, 'steady recording', 15_000);

  for (const cam of ['gone-flv', 'gone-mp4']) {
    const c = await TestRtmpClient.connect(t.rtmpPort);
    assert.equal(await c.publish(cam), 'NetStream.Publish.Start');
    await replay(c, tags); // 2 s of real frames
    const written = snapshotFootage(t.dataDir, rowsOf(t.app.storage.segments, 'steady'));
    // a keyframe padded past one chunk, cut in the middle of its second chunk
    const key = tags.find((x) => x.type === 9 && x.body[0] >> 4 === 1 && x.body[1] === 1)!;
    const big = Buffer.concat([key.body, Buffer.alloc(6000)]);
    const sent = await vanishMidMessage(c, tags.at(-1)!.timestamp + 100, big, 0.6);
    assert.ok(sent > 4096 + 12 && sent < big.length, 'the reset came inside the second chunk');
    const resetAt = Date.now();
    await waitFor(() => !live(cam), `${cam} offline`);

    // a new publisher at once: accepted on its first try
    const next = await TestRtmpClient.connect(t.rtmpPort);
    assert.equal(await next.publish(cam), 'NetStream.Publish.Start', 'the camera was free again');
    const takeoverMs = Date.now() - resetAt;
    assert.ok(takeoverMs < 2000, `took over ${takeoverMs} ms after the reset`);
    await replay(next, tags);
    next.close();
    await waitFor(() => !live(cam), `${cam} offline again`);

    const rows = await waitFor(() => {
      const r = rowsOf(t.app.storage.segments, cam);
      return r.length === 2 && r.every((x) => x.state === 'closed') ? r : null;
    }, `${cam}: two closed segments`);
    assert.deepEqual(rows.map((r) => r.endReason), ['publish-ended', 'publish-ended']);
    // the vanished publisher's segment: every whole frame it sent (the torn keyframe is not one)
    // (a segment starts on the first keyframe; sequence headers and the end-of-sequence tag are not frames)
    const firstKey = tags.findIndex((x) => x.type === 9 && x.body[0] >> 4 === 1 && x.body[1] === 1);
    const sentFrames = tags.slice(firstKey).filter((x) => x.body[1] === 1).length;
    assert.equal(rows[0].frames, sentFrames, `${cam}: frames recorded`);
    assert.ok(rows[0].endMs - rows[0].startMs >= 1800, `${cam}: ${rows[0].endMs - rows[0].startMs} ms recorded of 2000`);
    await assertFilesIntact(t.dataDir, rows, cam);
    assertFootageKept(t.dataDir, t.app.storage.segments, written, 'steady');
    const ended = t.logs.find((l) => l.msg === 'publish ended' && l.camera === cam);
    assert.match(String(ended?.reason), /ECONNRESET/, `${cam}: the end is logged with its cause`);
  }

  assert.equal(await steady.exited, 0, steady.stderr());
  const rows = await waitFor(() => {
    const r = rowsOf(t.app.storage.segments, 'steady');
    return r.length > 0 && r.every((x) => x.state === 'closed') ? r : null;
  }, 'steady closed');
  assertContinuous(rows, 'steady');
  const seconds = rows.reduce((n, r) => n + r.endMs - r.startMs, 0) / 1000;
  assert.ok(seconds > 11, `steady: ${seconds} s recorded of 12`);
  await assertFilesIntact(t.dataDir, rows, 'steady');
  await sleep(0);
});
