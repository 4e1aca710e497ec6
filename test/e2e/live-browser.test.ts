/**
 * A real browser plays the live view: Debian's Chromium, driven by
 * playwright-core, runs a small MSE player (test/fixtures/live/mse-player.html)
 * fed by /live/:id.mp4 over a WebSocket while ffmpeg publishes H.264 + AAC.
 * The page comes from a tiny server of the test's own on loopback: another
 * origin, which a WebSocket may cross (a page Playwright fulfils itself counts
 * as public, and Chromium's Local Network Access checks block it from
 * reaching 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { ffmpegPublish, waitFor, type Run } from '../helpers/media-tools.js';

const CHROMIUM = '/usr/bin/chromium';
const PAGE = readFileSync(new URL('../fixtures/live/mse-player.html', import.meta.url), 'utf8');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (CI installs Debian's chromium package)`;

interface PlayerState {
  currentTime: number;
  bufferedEnd: number;
  readyState: number;
  stats: { mime: string | null; supported: boolean | null; appended: number; errors: string[]; jumps: number; closed: number | null };
}

let t: TestApp;
let pub: Run;
let context: BrowserContext;
let profile: string;
let pageServer: Server;

before(async () => {
  if (skip) return;
  t = await startTestApp({ cameras: [{ id: 'cam', recording: { enabled: false } }] });
  pub = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/cam`, { seconds: 120, gop: 50 });
  pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  profile = mkdtempSync(join(tmpdir(), 'nvr-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    ],
  });
  await waitFor(async () => (await t.get<{ live: boolean }[]>('/api/cameras'))[0].live, 'camera live');
});

after(async () => {
  if (skip) return;
  await context?.close();
  pageServer.close();
  pub.proc.kill('SIGKILL');
  await t.stop();
  rmSync(profile, { recursive: true, force: true });
});

async function openPlayer(cam: string): Promise<Page> {
  const page = await context.newPage();
  const src = `ws://127.0.0.1:${t.httpPort}/live/${cam}.mp4`;
  await page.goto(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/?src=${encodeURIComponent(src)}`);
  return page;
}

/** Read in the page (a string: this project's TypeScript has no DOM types). */
const STATE = `(() => {
  const v = document.querySelector('video');
  const b = v.buffered;
  return { currentTime: v.currentTime, bufferedEnd: b.length ? b.end(b.length - 1) : 0, readyState: v.readyState, stats: window.stats };
})()`;
const state = (page: Page) => page.evaluate(STATE) as Promise<PlayerState>;

test('Chromium plays /live/:id.mp4 through MSE over a WebSocket and stays near the live edge', { skip }, async (ctx) => {
  const page = await openPlayer('cam');
  page.on('console', (m) => ctx.diagnostic(`page: ${m.text()}`));
  const started = Date.now();
  const first = await waitFor(async () => {
    const s = await state(page);
    return s.currentTime > 0 ? { s, ms: Date.now() - started } : null;
  }, 'playback to start', 15_000);
  ctx.diagnostic(`playing ${first.ms} ms after the page opened`);
  assert.equal(first.s.stats.supported, true, `MediaSource.isTypeSupported(${first.s.stats.mime})`);
  assert.match(first.s.stats.mime!, /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);

  const playing = await waitFor(async () => {
    const s = await state(page);
    return s.currentTime > 2.5 ? s : null;
  }, 'currentTime past 2.5 s', 20_000);
  assert.deepEqual(playing.stats.errors, []);

  // watch for a few more seconds: time advances with the clock, close behind the buffered end
  const lags: number[] = [];
  let previous = playing.currentTime;
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const s = await state(page);
    assert.ok(s.currentTime > previous, `currentTime advances (${previous} -> ${s.currentTime})`);
    previous = s.currentTime;
    lags.push(s.bufferedEnd - s.currentTime);
  }
  const end = await state(page);
  ctx.diagnostic(`behind the buffered end: ${lags.map((x) => x.toFixed(2)).join(', ')} s; jumps ${end.stats.jumps}; ${end.stats.appended} appends`);
  assert.ok(Math.max(...lags) < 1.5, `stays within 1.5 s of the live edge: ${lags.join(', ')}`);
  assert.ok(lags.slice(-4).every((x) => x < 1), 'settles within 1 s');
  assert.deepEqual(end.stats.errors, []);
  assert.equal(end.stats.closed, null, 'the WebSocket is still open');
  await page.close();
  await waitFor(async () => (await t.get<{ viewers: number }[]>('/api/cameras'))[0].viewers === 0, 'the viewer gone with the page');
});
