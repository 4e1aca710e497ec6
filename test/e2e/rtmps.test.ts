/**
 * RTMPS: ffmpeg publishes over TLS with a certificate made here by the
 * openssl CLI; hostile peers on the TLS port (plain RTMP, garbage, silence)
 * are dropped with a log line while a plain-RTMP publisher streams untouched;
 * TLS and plain connections share the connection limits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { MediaFrame } from '../../src/media/frame.js';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, waitFor } from '../helpers/media-tools.js';
import { TestRtmpClient } from '../helpers/rtmp-client.js';

const dir = mkdtempSync(join(tmpdir(), 'nvr-rtmps-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');

before(() => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const tlsConfig = () => ({ enabled: true, port: 0, host: '127.0.0.1', cert, key });

/** A raw TCP socket to a port; resolves when connected, with a promise for its close. */
async function rawSocket(port: number): Promise<{ sock: net.Socket; closed: Promise<number> }> {
  const started = Date.now();
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now() - started)));
  await new Promise((r) => sock.once('connect', r));
  return { sock, closed };
}

describe('RTMPS publishing', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      rtmp: { port: 0, host: '127.0.0.1', tls: tlsConfig(), limits: { handshakeTimeoutMs: 1500 } },
      cameras: [{ id: 'secure' }, { id: 'plain' }],
    });
  });
  after(() => t.stop());

  test('ffmpeg publishes to rtmps://; hostile peers on the TLS port are dropped; a plain publisher is untouched', async () => {
    const port = t.app.rtmpsPort!;
    assert.ok(port > 0 && port !== t.rtmpPort);
    assert.equal(t.logs.find((l) => l.msg === 'listening')?.rtmps, port);
    const frames = { secure: [] as MediaFrame[], plain: [] as MediaFrame[] };
    for (const id of ['secure', 'plain'] as const) t.app.hub.stream(id)!.attach({ kind: 'other', onFrame: (f) => frames[id].push(f) });

    const secure = ffmpegPublish(`rtmps://127.0.0.1:${port}/live/secure`, { seconds: 5, size: '320x240', audio: false });
    const plain = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/plain`, { seconds: 5, size: '320x240', audio: false });
    await waitFor(() => frames.secure.length > 5 && frames.plain.length > 5, 'frames from both publishers', 15_000);

    // plain RTMP spoken to the TLS port: the C0 byte 3 is no TLS record
    const wrongProtocol = TestRtmpClient.connect(port).then(
      () => 'handshake completed',
      (err: Error) => err.message,
    );
    // garbage, then silence: dropped without reaching the RTMP layer
    const garbage = await rawSocket(port);
    garbage.sock.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), randomBytes(4096)]));
    const silent = await rawSocket(port);
    const silentMs = await silent.closed;
    assert.ok(silentMs >= 1400 && silentMs < 6000, `silent TLS peer closed after ${silentMs} ms`);
    await garbage.closed;
    // dropped at once, not left to time out
    assert.equal(await wrongProtocol, 'connection closed while waiting for handshake');

    const drops = t.logs.filter((l) => String(l.msg).startsWith('RTMPS connection dropped'));
    assert.ok(drops.some((l) => l.limit === 'handshakeTimeoutMs'), 'handshake timeout logged');
    const failed = drops.filter((l) => String(l.msg).startsWith('RTMPS connection dropped: TLS handshake failed: '));
    assert.equal(failed.length, 2, JSON.stringify(drops));
    assert.ok(failed.some((l) => l.code === 'ERR_SSL_WRONG_VERSION_NUMBER' && String(l.msg).endsWith('wrong version number')), JSON.stringify(failed));
    assert.ok(drops.every((l) => l.level === 40 && l.transport === 'rtmps'));

    assert.equal(await secure.exited, 0, secure.stderr());
    assert.equal(await plain.exited, 0, plain.stderr());
    // 5 s at 25 fps each, no frame lost on either side
    assert.ok(frames.secure.length >= 120, `rtmps frames: ${frames.secure.length}`);
    assert.ok(frames.plain.length >= 120, `plain frames: ${frames.plain.length}`);
    assert.ok(frames.secure[0].keyframe && frames.secure.every((f, i) => i === 0 || f.dts >= frames.secure[i - 1].dts));
    // ... and recorded
    const segs = await waitFor(() => {
      const rows = t.app.storage.segments.list('secure', 0, Date.now() + 1000);
      return rows.length > 0 && rows.every((r) => r.state !== 'open') ? rows : null;
    }, 'closed segment of the rtmps camera');
    assert.ok(segs[0].bytes > 10_000);
    assert.ok(t.logs.some((l) => l.msg === 'publish started' && l.camera === 'secure' && l.transport === 'rtmps'));
  });
});

describe('connection limits count RTMP and RTMPS together', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ rtmp: { port: 0, host: '127.0.0.1', tls: tlsConfig(), limits: { maxConnections: 3, handshakeTimeoutMs: 20_000 } }, cameras: [{ id: 'cam1' }] });
  });
  after(() => t.stop());

  test('two plain sockets and one TLS socket mid-handshake fill maxConnections: the next is refused on either port', async () => {
    const open = [await rawSocket(t.rtmpPort), await rawSocket(t.rtmpPort), await rawSocket(t.app.rtmpsPort!)];
    for (const port of [t.app.rtmpsPort!, t.rtmpPort]) {
      const extra = await rawSocket(port);
      const ms = await extra.closed;
      assert.ok(ms < 3000, `refused after ${ms} ms`);
    }
    const refused = t.logs.filter((l) => l.limit === 'maxConnections');
    assert.deepEqual(refused.map((l) => l.transport), ['rtmps', 'rtmp']);
    assert.match(String(refused[0].msg), /^RTMP connection refused: maxConnections reached$/);
    // a slot frees when a socket goes: a TLS publisher gets in
    open[0].sock.destroy();
    await open[0].closed;
    await waitFor(async () => {
      const s = tls.connect({ port: t.app.rtmpsPort!, host: '127.0.0.1', rejectUnauthorized: false });
      s.on('error', () => {});
      const ok = await new Promise<boolean>((r) => { s.once('secureConnect', () => r(true)); s.once('close', () => r(false)); });
      s.destroy();
      return ok;
    }, 'a TLS connection accepted once a slot is free');
    for (const o of open) o.sock.destroy();
  });
});
