/**
 * Fault: a half-open TCP connection. A real ffmpeg camera publishes through a
 * relay; at the fault the relay goes silent both ways and never closes the
 * server's side (a camera losing power, a cable pulled: no FIN, no RST).
 * The idle timeout frees the connection; a camera that reconnects replaces
 * the dead publisher after staleTakeoverMs. Another camera records throughout.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { waitFor, type Run } from '../helpers/media-tools.js';
import { assertContinuous, assertFilesIntact, assertFootageKept, cheapPublisher, rowsOf, sleep, snapshotFootage } from './fault-kit.js';

const IDLE_MS = 2000;
const STALE_MS = 1000;

/** A TCP relay to the NVR whose connections can be frozen: no byte passes any more, and nothing is closed towards the server. */
class FreezableRelay {
  private readonly server: net.Server;
  readonly upstreams: { socket: net.Socket; closedAt: number | null }[] = [];
  private frozen = false;

  constructor(target: number) {
    this.server = net.createServer({ allowHalfOpen: true }, (down) => {
      const up = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
      const entry = { socket: up, closedAt: null as number | null };
      this.upstreams.push(entry);
      // the server closing its side: FIN ('end', as we allow half-open) or RST ('close')
      const closed = () => void (entry.closedAt ??= Date.now());
      up.on('end', closed);
      up.on('close', closed);
      up.on('error', () => {});
      down.on('error', () => {});
      down.on('data', (d) => void (!this.frozen && up.write(d)));
      up.on('data', (d) => void (!this.frozen && down.write(d)));
      // the camera's side may die; the server must not hear of it while frozen
      down.on('close', () => void (!this.frozen && up.destroy()));
      up.on('close', () => void (!this.frozen && down.destroy()));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  close(): void {
    for (const u of this.upstreams) u.socket.destroy();
    this.server.close();
  }
}

let t: TestApp;
before(async () => {
  t = await startTestApp({
    log: { level: 'info' },
    rtmp: { port: 0, host: '127.0.0.1', limits: { idleTimeoutMs: IDLE_MS, staleTakeoverMs: STALE_MS } },
    cameras: [
      { id: 'steady', motion: { enabled: false }, recording: { segmentSeconds: 2 } },
      { id: 'flaky', motion: { enabled: false }, recording: { segmentSeconds: 2 } },
    ],
  });
});
after(() => t.stop());

const live = (id: string) => t.app.hub.list().find((c) => c.id === id)!.live;
const publishStarts = () => t.logs.filter((l) => l.msg === 'publish started' && l.camera === 'flaky').length;

/** A camera whose connection goes half-open once it has recorded a segment: the relay freezes, then the camera process dies. */
async function cameraGoesHalfOpen(relay: FreezableRelay, relayPort: number): Promise<{ frozenAt: number; conn: FreezableRelay['upstreams'][number] }> {
  const cam = cheapPublisher(`rtmp://127.0.0.1:${relayPort}/live/flaky`, 30);
  const before = rowsOf(t.app.storage.segments, 'flaky').length;
  await waitFor(() => rowsOf(t.app.storage.segments, 'flaky').filter((r) => r.state === 'closed').length > before, 'flaky recording', 15_000);
  const conn = relay.upstreams.at(-1)!;
  relay.freeze();
  const frozenAt = Date.now();
  cam.proc.kill('SIGKILL');
  await cam.exited;
  relay.thaw(); // later connections pass again; the frozen one stays dead (its camera side is gone)
  return { frozenAt, conn };
}

test('a half-open publisher: freed by the idle timeout; a reconnecting camera replaces it after staleTakeoverMs', async () => {
  const relay = new FreezableRelay(t.rtmpPort);
  const relayPort = await relay.listen();
  const steady = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/steady`, 60); // stopped when the faults are over
  const pubs: Run[] = [steady];
  try {
    // 1. nobody reconnects: the idle timeout closes the server's side
    const first = await cameraGoesHalfOpen(relay, relayPort);
    const written = snapshotFootage(t.dataDir, [...rowsOf(t.app.storage.segments, 'steady'), ...rowsOf(t.app.storage.segments, 'flaky')]);
    assert.equal(live('flaky'), true, 'a half-open connection still looks live');
    await waitFor(() => first.conn.closedAt, 'the server closes the half-open connection', IDLE_MS + 3000);
    const freedMs = first.conn.closedAt! - first.frozenAt;
    assert.ok(freedMs >= IDLE_MS - 200 && freedMs < IDLE_MS + 2500, `freed ${freedMs} ms after going silent`);
    assert.equal(live('flaky'), false);
    const ended = t.logs.find((l) => l.msg === 'publish ended' && l.camera === 'flaky');
    assert.match(String(ended?.reason), /^idle for 2000 ms/);
    const afterIdle = await waitFor(() => {
      const r = rowsOf(t.app.storage.segments, 'flaky');
      return r.every((x) => x.state === 'closed') ? r : null;
    }, "the half-open publisher's segment closed");
    assert.equal(afterIdle.at(-1)!.endReason, 'publish-ended');
    // it ends where the frames stopped, not where the timeout fired
    assert.ok(afterIdle.at(-1)!.endMs <= first.frozenAt + 300, `segment end ${afterIdle.at(-1)!.endMs - first.frozenAt} ms after the freeze`);

    // 2. the camera reconnects at once and retries, as cameras do: refused while the dead one could still be sending, then it takes over
    const second = await cameraGoesHalfOpen(relay, relayPort);
    const startsBefore = publishStarts();
    let attempts = 0;
    let takeover: Run | undefined;
    while (!takeover && Date.now() - second.frozenAt < STALE_MS + 5000) {
      attempts++;
      const p = cheapPublisher(`rtmp://127.0.0.1:${t.rtmpPort}/live/flaky`, 2);
      pubs.push(p);
      const accepted = await Promise.race([waitFor(() => publishStarts() > startsBefore, 'accepted', 1000).then(() => true, () => false), p.exited.then(() => false)]);
      if (accepted) takeover = p;
      else {
        p.proc.kill('SIGKILL');
        await sleep(300);
      }
    }
    assert.ok(takeover, 'the reconnecting camera took over');
    const tookMs = Date.now() - second.frozenAt;
    assert.ok(tookMs >= STALE_MS, `took over after ${tookMs} ms`);
    assert.ok(tookMs < STALE_MS + 4000, `took over after ${tookMs} ms (${attempts} attempts)`);
    assert.ok(t.logs.some((l) => l.msg === 'replacing a silent publisher' && l.camera === 'flaky'));
    await waitFor(() => second.conn.closedAt, 'the replaced connection is closed', 3000);
    assert.equal(await takeover!.exited, 0, takeover!.stderr());

    const stoppedAt = Date.now();
    steady.proc.kill('SIGTERM');
    await steady.exited;
    const rows = await waitFor(() => {
      const r = [...rowsOf(t.app.storage.segments, 'steady'), ...rowsOf(t.app.storage.segments, 'flaky')];
      return r.every((x) => x.state === 'closed') ? r : null;
    }, 'all closed');
    const steadyRows = rows.filter((r) => r.cameraId === 'steady');
    assertContinuous(steadyRows, 'steady', { fromMs: first.frozenAt - 1000, toMs: stoppedAt - 500 });
    await assertFilesIntact(t.dataDir, rows, 'all cameras');
    assertFootageKept(t.dataDir, t.app.storage.segments, written, 'before the fault');
    const flaky = rows.filter((r) => r.cameraId === 'flaky');
    assert.ok(flaky.at(-1)!.endMs - flaky.at(-1)!.startMs > 1500, 'the new publisher was recorded');
    const sessions = t.app.storage.db.prepare("SELECT end_reason AS reason FROM publish_sessions WHERE camera_id = 'flaky' ORDER BY id").all() as { reason: string | null }[];
    assert.ok(sessions.every((s) => s.reason !== null), 'every publish session ended');
    assert.ok(sessions.some((s) => s.reason === 'replaced by a new publisher'));
  } finally {
    for (const p of pubs) p.proc.kill('SIGKILL');
    relay.close();
  }
});
