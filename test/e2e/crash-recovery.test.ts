/**
 * kill -9 of a real server process in the middle of a segment, then a
 * restart: the segment being written is recovered, indexed and decodes, and
 * at most about a second of what was published before the kill is lost.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { segmentPath } from '../../src/recording/segment-path.js';
import { decodeErrors, probe } from '../helpers/ffprobe.js';
import { spawnMain, waitForExit, waitForLogLine } from '../helpers/main-process.js';
import { ffmpegPublish, waitFor } from '../helpers/media-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-crash-'));
/** access control stays on (the default): the API with a bearer token, ffmpeg/ffprobe with ?token= */
const TOKEN = 'crash-test-token-0123456789';
const authed = (url: string) => fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
after(() => rmSync(dir, { recursive: true, force: true }));

interface Seg {
  id: number;
  startMs: number;
  endMs: number;
  bytes: number;
  url: string;
  open: boolean;
  endReason: string | null;
}

test('kill -9 mid-segment, restart: the open segments are recovered and lose at most about a second', async (t) => {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
      'rtmp: { port: 0, host: 127.0.0.1 }',
      'http: { port: 0, host: 127.0.0.1 }',
      `auth: { apiTokens: [{ name: test, token: ${TOKEN}, role: viewer }] }`,
      'cameras:',
      '  - { id: flvcam, recording: { format: flv, segmentSeconds: 60 } }',
      '  - { id: mp4cam, recording: { format: mp4, segmentSeconds: 60 } }',
      '',
    ].join('\n'),
  );
  const first = spawnMain(['--config', config]);
  const listening = await waitForLogLine(first, (l) => l.msg === 'listening');
  const pubs = ['flvcam', 'mp4cam'].map((cam) => ffmpegPublish(`rtmp://127.0.0.1:${listening.rtmp}/live/${cam}`, { seconds: 30, gop: 25 }));
  const base = `http://127.0.0.1:${listening.http}`;
  const list = async (cam: string) => (await (await authed(`${base}/api/cameras/${cam}/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`)).json()) as Seg[];
  const opened = await waitFor(async () => {
    const [a, b] = [await list('flvcam'), await list('mp4cam')];
    return a.length === 1 && b.length === 1 ? [a[0], b[0]] : null;
  }, 'open segments');
  await new Promise((r) => setTimeout(r, 4500));
  first.kill('SIGKILL');
  const killedAt = Date.now();
  await waitForExit(first);
  for (const p of pubs) p.proc.kill('SIGKILL');

  // a power cut mid-write leaves half a frame: put one at the end of the FLV file
  const flvFile = join(dir, 'data', segmentPath('flvcam', opened[0].startMs, 'flv'));
  const sizeBeforeTear = statSync(flvFile).size;
  appendFileSync(flvFile, Buffer.from('0900100000000000000000170100000000', 'hex'));

  const second = spawnMain(['--config', config]);
  try {
    const again = await waitForLogLine(second, (l) => l.msg === 'listening');
    const base2 = `http://127.0.0.1:${again.http}`;
    for (const cam of ['flvcam', 'mp4cam']) {
      const segs = (await (await authed(`${base2}/api/cameras/${cam}/segments?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`)).json()) as Seg[];
      assert.equal(segs.length, 1, `${cam}: one segment`);
      const s = segs[0];
      assert.equal(s.endReason, 'crash-recovered');
      assert.equal(s.open, false);
      assert.equal(await decodeErrors(`${base2}${s.url}?token=${TOKEN}`), '', `${cam}: recovered segment decodes`);
      const p = await probe(`${base2}${s.url}?token=${TOKEN}`);
      const lostMs = killedAt - s.endMs;
      t.diagnostic(`${cam}: recovered ${s.endMs - s.startMs} ms, lost ${lostMs} ms before the kill`);
      assert.ok(lostMs <= 1500, `${cam}: lost ${lostMs} ms before the kill`);
      assert.ok(s.endMs - s.startMs >= 3500, `${cam}: recovered ${s.endMs - s.startMs} ms`);
      assert.ok(Math.abs(p.durationSec * 1000 - (s.endMs - s.startMs)) < 100, `${cam}: index and file agree`);
    }
    assert.equal(statSync(flvFile).size, sizeBeforeTear, 'the torn tail was cut off');
    const [flvSeg] = (await (await authed(`${base2}/api/cameras/flvcam/segments?from=${Date.now() - 3_600_000}`)).json()) as Seg[];
    assert.equal(flvSeg.bytes, sizeBeforeTear, 'the index holds the whole-tag size');
  } finally {
    second.kill('SIGTERM');
    await waitForExit(second);
  }
});
