/**
 * Fault: SIGTERM to the real server process while it is busy: four ffmpeg
 * cameras publishing (FLV and MP4 recording, motion decoders running), live
 * viewers over HTTP-FLV and fMP4, one that went away and one browser-style
 * preconnect that never sends a request, and an export being downloaded
 * slowly. It exits 0 within a bound, every open segment is finalised (end
 * set, bytes equal to the file), the database passes integrity_check, the
 * files decode, and a restart finds nothing to recover.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { DB_FILE_NAME } from '../../src/storage/storage.js';
import { Segments } from '../../src/storage/segments.js';
import { spawnMain, waitForExit, waitForLogLine } from '../helpers/main-process.js';
import { waitFor, type Run } from '../helpers/media-tools.js';
import { assertContinuous, assertFilesIntact, cheapPublisher, rowsOf, sleep } from './fault-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-sigterm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cams = ['cam0', 'cam1', 'cam2', 'cam3'];
/** SIGTERM to exit 0: the recorders' last flush and sync, the database close, and at most closeHttp's 2 s for the export. */
const EXIT_BOUND_MS = 8000;

/** A live viewer reading as fast as the stream comes; resolves with the bytes it got when the server ends the stream. */
function viewer(url: string): { bytes: () => number; done: Promise<void> } {
  let n = 0;
  const done = (async () => {
    const res = await fetch(url);
    assert.equal(res.status, 200, url);
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) return;
        n += value.length;
      }
    } catch {
      // the server cut the stream at shutdown: expected
    }
  })();
  return { bytes: () => n, done };
}

test('SIGTERM under load: exit 0 in time, every segment finalised, db intact, files decode, restart recovers nothing', async (ctx) => {
  const dataDir = join(dir, 'data');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      dataDir,
      rtmp: { port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1' },
      auth: { enabled: false },
      log: { level: 'info' },
      motion: { ffmpegPath: 'ffmpeg' },
      cameras: cams.map((id, i) => ({ id, recording: { format: i % 2 ? 'mp4' : 'flv', segmentSeconds: 3 } })),
    }),
  );
  const server = spawnMain(['--config', config]);
  const pubs: Run[] = [];
  const idle = new net.Socket();
  try {
    const listening = await waitForLogLine(server, (l) => l.msg === 'listening');
    const base = `http://127.0.0.1:${listening.http}`;
    for (const c of cams) pubs.push(cheapPublisher(`rtmp://127.0.0.1:${listening.rtmp}/live/${c}`, 60, { audio: c === 'cam0' }));
    const listSegments = async (c: string) =>
      (await (await fetch(`${base}/api/cameras/${c}/segments?from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`)).json()) as { open: boolean; startMs: number; endMs: number }[];
    // every camera has a closed segment and is writing the next
    await waitFor(async () => (await Promise.all(cams.map(listSegments))).every((s) => s.some((x) => !x.open) && s.some((x) => x.open)), 'recording', 20_000);

    const viewers = [viewer(`${base}/live/cam0.flv`), viewer(`${base}/live/cam1.mp4`), viewer(`${base}/live/cam2.flv`)];
    // a viewer that goes away, and a connection that never sends a request (a browser's preconnect)
    const gone = new AbortController();
    await fetch(`${base}/live/cam3.flv`, { signal: gone.signal }).then((r) => r.body!.getReader().read());
    gone.abort();
    idle.on('error', () => {});
    await new Promise<void>((r) => idle.connect(listening.http as number, '127.0.0.1', r));
    // an export of cam0's recorded minute, read slowly: still downloading at the signal
    const seg0 = (await listSegments('cam0')).find((s) => !s.open)!;
    const exportRes = await fetch(`${base}/api/cameras/cam0/export.mp4?from=${seg0.startMs}&to=${Date.now()}`);
    assert.equal(exportRes.status, 200);
    const exportReader = exportRes.body!.getReader();
    await exportReader.read();
    await sleep(1500);
    assert.ok(viewers.every((v) => v.bytes() > 0), 'viewers are receiving');

    const exited = waitForExit(server, 20_000);
    const signalledAt = Date.now();
    server.kill('SIGTERM');
    const exit = await exited;
    const tookMs = Date.now() - signalledAt;
    ctx.diagnostic(`exit code ${exit.code} after ${tookMs} ms`);
    assert.equal(exit.code, 0, exit.stderr + exit.stdout.slice(-3000));
    assert.ok(tookMs < EXIT_BOUND_MS, `stopped in ${tookMs} ms`);
    await Promise.all(viewers.map((v) => v.done));
    await exportReader.cancel().catch(() => {});
    for (const p of pubs) p.proc.kill('SIGKILL');

    const db = new Database(join(dataDir, DB_FILE_NAME));
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const segments = new Segments(db);
      for (const c of cams) {
        const rows = rowsOf(segments, c);
        // the segment open at the signal was finalised by the stop (RTMP stops before the recorders: its publish ended)
        assert.match(String(rows.at(-1)!.endReason), /^(publish-ended|shutdown)$/, `${c}: ${JSON.stringify(rows.map((r) => r.endReason))}`);
        const lag = rows.at(-1)!.endMs - signalledAt;
        assert.ok(lag > -1500 && lag < EXIT_BOUND_MS, `${c}: the last segment ends ${lag} ms from the signal`);
        assertContinuous(rows, c);
        await assertFilesIntact(dataDir, rows, c);
      }
      const openSessions = db.prepare('SELECT COUNT(*) FROM publish_sessions WHERE ended_at IS NULL').pluck().get();
      assert.equal(openSessions, 0, 'publish sessions left open');
      const openEvents = db.prepare('SELECT COUNT(*) FROM events WHERE end_ms IS NULL').pluck().get();
      assert.equal(openEvents, 0, 'motion events left open');
    } finally {
      db.close();
    }

    // a restart has nothing to recover
    const again = spawnMain(['--config', config]);
    const lines: Record<string, unknown>[] = [];
    await waitForLogLine(again, (l) => {
      lines.push(l);
      return l.msg === 'listening';
    });
    const recoveries = lines.filter((l) => /recovered|left open|left ongoing|crash/.test(String(l.msg)));
    assert.deepEqual(recoveries, [], 'nothing to recover after a clean stop');
    const second = waitForExit(again, 10_000);
    again.kill('SIGTERM');
    assert.equal((await second).code, 0);
  } finally {
    idle.destroy();
    for (const p of pubs) p.proc.kill('SIGKILL');
    server.kill('SIGKILL');
  }
});
