import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { EventNotice } from '../../src/events/event-bus.js';
import type { EventRow } from '../../src/events/event-store.js';
import { WebhookNotifier, type WebhookConfig } from '../../src/events/webhook-notifier.js';

const log = pino({ level: 'silent' });
const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A receiver answering each request with the next handler's verdict. */
async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const got: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ body: JSON.parse(body), headers: req.headers });
      answer(n++, req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const row = (id: number, cameraId = 'a', endMs: number | null = null): EventRow => ({
  id, cameraId, type: 'motion', startMs: 1_795_000_000_000, endMs, peakScore: 3.14159, peakMs: 1_795_000_000_000, zones: [], endReason: endMs ? 'quiet' : null, hasSnapshot: true,
});
const notice = (phase: 'start' | 'end', e: EventRow): EventNotice => ({ phase, event: e, snapshot: null });
const cfg = (url: string, over: Partial<WebhookConfig> = {}): WebhookConfig => ({ url, cameras: [], phases: ['start', 'end'], headers: {}, timeoutMs: 1000, retries: 3, ...over });

test('POSTs the event JSON with its phase, in order, retrying a failed delivery with backoff', async () => {
  const r = await receiver((n, _req, res) => res.writeHead(n === 0 ? 500 : 204).end());
  const w = new WebhookNotifier(cfg(r.url, { headers: { authorization: 'Bearer x' } }), log, 20);
  w.notify(notice('start', row(1)));
  w.notify(notice('end', row(1, 'a', 1_795_000_004_000)));
  await w.idle();
  assert.deepEqual(r.got.map((g) => [g.body.id, g.body.phase]), [
    [1, 'start'],
    [1, 'start'],
    [1, 'end'],
  ]);
  assert.equal(r.got[0].headers['content-type'], 'application/json');
  assert.equal(r.got[0].headers.authorization, 'Bearer x');
  const body = r.got[2].body;
  assert.deepEqual(
    { ...body },
    { id: 1, cameraId: 'a', type: 'motion', start: '2026-11-18T11:06:40.000Z', end: '2026-11-18T11:06:44.000Z', startMs: 1_795_000_000_000, endMs: 1_795_000_004_000, score: 3.14, zones: [], peakMs: 1_795_000_000_000, endReason: 'quiet', snapshotUrl: '/api/events/1/snapshot.jpg', phase: 'end' },
  );
  assert.deepEqual(w.stats, { delivered: 2, failed: 0, dropped: 0 });
  await w.stop();
});

test('a receiver that never answers times out; after the retries the delivery is given up', async () => {
  const r = await receiver(() => {}); // never answers
  const w = new WebhookNotifier(cfg(r.url, { timeoutMs: 150, retries: 1 }), log, 20);
  const t0 = Date.now();
  w.notify(notice('start', row(2)));
  await w.idle();
  assert.equal(r.got.length, 2);
  assert.deepEqual(w.stats, { delivered: 0, failed: 1, dropped: 0 });
  assert.ok(Date.now() - t0 < 2000);
  await w.stop();
});

test('filters by camera and phase; an unreachable URL does not throw', async () => {
  const r = await receiver((_n, _req, res) => res.end());
  const w = new WebhookNotifier(cfg(r.url, { cameras: ['b'], phases: ['end'] }), log, 20);
  w.notify(notice('end', row(3, 'a', 1)));
  w.notify(notice('start', row(4, 'b')));
  w.notify(notice('end', row(4, 'b', 1_795_000_001_000)));
  await w.idle();
  assert.deepEqual(r.got.map((g) => [g.body.id, g.body.phase]), [[4, 'end']]);
  const dead = new WebhookNotifier(cfg('http://127.0.0.1:9/', { retries: 0 }), log, 20);
  dead.notify(notice('start', row(5)));
  await dead.idle();
  assert.equal(dead.stats.failed, 1);
  await Promise.all([w.stop(), dead.stop()]);
});

test('stop() abandons a delivery stuck in retries', async () => {
  const r = await receiver((_n, _req, res) => res.writeHead(503).end());
  const w = new WebhookNotifier(cfg(r.url, { retries: 10 }), log, 5000);
  w.notify(notice('start', row(6)));
  await new Promise((res) => setTimeout(res, 100));
  const t0 = Date.now();
  await w.stop(100);
  assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`);
});
