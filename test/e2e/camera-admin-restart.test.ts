/**
 * Cameras changed through the API survive a restart on the same data folder:
 * API cameras come back, an edited config camera keeps its edit, a deleted
 * one stays deleted, and the modules run with the stored settings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, waitFor } from '../helpers/media-tools.js';

const dataDir = mkdtempSync(join(tmpdir(), 'nvr-cam-restart-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const config = {
  dataDir,
  auth: { enabled: false },
  maxCameras: 3,
  cameras: [
    { id: 'cfg1', name: 'From file', motion: { enabled: false } },
    { id: 'cfg2', motion: { enabled: false } },
  ],
};

async function call(t: TestApp, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${t.httpPort}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test('API changes persist across a restart and the modules use them; a changed stream key disconnects the publisher', async () => {
  const first = await startTestApp(config);
  try {
    assert.equal((await call(first, 'POST', '/api/cameras', { id: 'api1', streamKey: 'secret1', recording: { format: 'mp4' }, motion: { enabled: false } })).status, 201);
    const full = await call(first, 'POST', '/api/cameras', { id: 'api2' });
    assert.equal(full.status, 409);
    assert.equal(full.json.error.code, 'TOO_MANY_CAMERAS');
    assert.equal((await call(first, 'PATCH', '/api/cameras/cfg1', { name: 'Edited', recording: { segmentSeconds: 5 } })).status, 200);
    assert.equal((await call(first, 'DELETE', '/api/cameras/cfg2')).status, 204);
  } finally {
    await first.stop();
  }

  const t = await startTestApp(config);
  try {
    const list = await t.get<{ id: string; name: string; source: string }[]>('/api/cameras');
    assert.deepEqual(
      list.map((c) => [c.id, c.name, c.source]),
      [
        ['cfg1', 'Edited', 'config'],
        ['api1', 'api1', 'api'],
      ],
    );
    const cfg1 = (await call(t, 'GET', '/api/cameras/cfg1/settings')).json;
    assert.equal(cfg1.recording.segmentSeconds, 5);
    assert.equal(cfg1.streamKey, null);
    assert.equal(cfg1.publish.url, `rtmp://127.0.0.1:${t.rtmpPort}/live/cfg1`);
    const api1 = (await call(t, 'GET', '/api/cameras/api1/settings')).json;
    assert.equal(api1.streamKey, 'secret1');
    assert.equal((await call(t, 'GET', '/api/cameras/cfg2/settings')).status, 404);

    // the stored camera records with its stored format
    const pub = ffmpegPublish(api1.publish.url, { seconds: 30, gop: 25, audio: false });
    const segs = await waitFor(async () => {
      const s = await t.get<{ format: string }[]>(`/api/cameras/api1/segments?from=${Date.now() - 600_000}`);
      return s.length > 0 ? s : null;
    }, 'an api1 segment', 15_000);
    assert.equal(segs[0]!.format, 'mp4');

    // recording off closes the open segment now; on again records from the next keyframe
    type Seg = { id: number; open: boolean; endReason: string | null };
    const segList = () => t.get<Seg[]>(`/api/cameras/api1/segments?from=${Date.now() - 600_000}`);
    await call(t, 'PATCH', '/api/cameras/api1', { recording: { enabled: false } });
    const off = await waitFor(async () => {
      const s = await segList();
      return s.every((x) => !x.open) ? s : null;
    }, 'segment closed when recording is turned off');
    assert.equal(off.at(-1)!.endReason, 'recording-disabled');
    assert.equal((await t.get<{ id: string; recording: boolean }[]>('/api/cameras')).find((c) => c.id === 'api1')!.recording, false);
    await call(t, 'PATCH', '/api/cameras/api1', { recording: { enabled: true } });
    await waitFor(async () => (await segList()).length > off.length, 'recording again', 10_000);

    // a new key cuts off the publisher that used the old one
    const rotated = await call(t, 'PATCH', '/api/cameras/api1', { streamKey: 'secret2' });
    assert.equal(rotated.json.publish.streamName, 'api1?key=secret2');
    const at = Date.now();
    await pub.exited;
    assert.ok(Date.now() - at < 5000, 'publisher disconnected at once');
    assert.ok(t.logs.some((l) => l.camera === 'api1' && l.msg === 'stream key changed: publisher disconnected'));
    await waitFor(async () => !(await t.get<{ id: string; live: boolean }[]>('/api/cameras')).find((c) => c.id === 'api1')!.live, 'api1 offline');

    // so does a publishFrom list that leaves the publisher's address out
    const isLive = async () => (await t.get<{ id: string; live: boolean }[]>('/api/cameras')).find((c) => c.id === 'api1')!.live;
    const pub2 = ffmpegPublish(rotated.json.publish.url, { seconds: 30, gop: 25, audio: false });
    await waitFor(isLive, 'api1 live with the new key', 15_000);
    assert.equal((await call(t, 'PATCH', '/api/cameras/api1', { publishFrom: ['127.0.0.0/8'] })).json.publishFrom.length, 1);
    assert.ok(await isLive(), 'a list that still allows it changes nothing');
    await call(t, 'PATCH', '/api/cameras/api1', { publishFrom: ['10.0.0.0/8'] });
    const at2 = Date.now();
    await pub2.exited;
    assert.ok(Date.now() - at2 < 5000, 'publisher outside the new list disconnected');
    assert.ok(t.logs.some((l) => l.camera === 'api1' && l.msg === 'address no longer in publishFrom: publisher disconnected'));
  } finally {
    await t.stop();
  }
});
