/**
 * The events page and the motion toast in Chromium: a synthetic clip with a
 * moving box is published over RTMP; the toast appears when motion starts
 * (SSE) and opens the timeline there, the event shows in the list with its snapshot, the camera filter
 * and the day picker narrow the list, and a click opens the timeline at the
 * event (#/timeline/<cam>?day=<local day>&at=<start ms>).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { launchBrowser, skipWithoutChromium as skip, zoneAtNoon, type Browser } from '../helpers/browser.js';
import { run, waitFor, type Run } from '../helpers/media-tools.js';
import { makeFlvClip } from '../motion/clips.js';
import { buildUiOnce, screenshot } from './web-helpers.js';

let t: TestApp;
let browser: Browser;
let page: Page;
let pub: Run | null = null;
const tmp = mkdtempSync(join(tmpdir(), 'nvr-web-events-'));
const base = () => `http://127.0.0.1:${t.httpPort}`;

interface EventJson {
  id: number;
  cameraId: string;
  startMs: number;
  endMs: number | null;
  snapshotUrl: string | null;
}

before(async () => {
  if (skip) return;
  await buildUiOnce();
  makeFlvClip(join(tmp, 'box.flv'), { seconds: 12, width: 640, height: 360, fps: 10, gopSeconds: 1, scene: { kind: 'box', intervals: [[3, 9]] } });
  t = await startTestApp({
    cameras: [
      { id: 'drive', name: 'Driveway', recording: { enabled: false }, motion: { endSeconds: 2 } },
      { id: 'shed', name: 'Shed', recording: { enabled: false } },
    ],
  });
  browser = await launchBrowser({ timezoneId: zoneAtNoon() });
  page = await browser.context.newPage();
});

after(async () => {
  if (skip) return;
  pub?.proc.kill('SIGKILL');
  await browser?.close();
  await t?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('a toast appears when motion starts, and the event is listed with its snapshot', { skip }, async (ctx) => {
  await page.goto(`${base()}/#/events`);
  await page.waitForSelector('.empty');
  pub = run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-i', join(tmp, 'box.flv'), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${t.rtmpPort}/live/drive`]);

  const toast = await page.waitForSelector('.toast', { timeout: 20_000 });
  assert.match((await toast.textContent())!, /Motion.*Driveway/);
  const row = await page.waitForSelector('.event[data-event-id]', { timeout: 10_000 });
  ctx.diagnostic(`listed: ${await row.textContent()}`);
  await screenshot(page, 'events-toast');

  // the toast opens the timeline at the event's start
  const [started] = await t.get<EventJson[]>(`/api/events?cameraId=drive&from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`);
  await page.click('.toast');
  await page.waitForURL(/#\/timeline\//);
  assert.match(new URL(page.url()).hash, new RegExp(`^#/timeline/drive\\?day=\\d{4}-\\d{2}-\\d{2}&at=${started.startMs}$`));
  await page.goBack();
  await page.waitForSelector(`.event[data-event-id="${started.id}"]`);

  assert.equal(await pub.exited, 0, pub.stderr());
  const [event] = await waitFor(async () => {
    const list = await t.get<EventJson[]>(`/api/events?cameraId=drive&from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`);
    return list.length > 0 && list.every((e) => e.endMs !== null) ? list : null;
  }, 'the event to end', 15_000);
  assert.ok(event.snapshotUrl);
  // the list follows the end (it reloads on each SSE notice): the snapshot image has loaded
  await page.waitForSelector(`.event[data-event-id="${event.id}"] img`);
  await waitFor(
    () => page.evaluate(`(() => { const i = document.querySelector('.event[data-event-id="${event.id}"] img'); return i && i.complete && i.naturalWidth > 0; })()`),
    'the snapshot to load',
  );
  assert.doesNotMatch((await page.textContent(`.event[data-event-id="${event.id}"]`))!, /ongoing/);
  await page.waitForSelector('.toast', { state: 'detached', timeout: 10_000 });
  await screenshot(page, 'events');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'events-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the camera filter and the day picker narrow the list', { skip }, async () => {
  await page.selectOption('[data-testid=event-camera]', 'shed');
  await page.waitForURL(/camera=shed/);
  await page.waitForSelector('.empty');
  assert.equal(await page.locator('.event').count(), 0);
  await page.selectOption('[data-testid=event-camera]', 'drive');
  await page.waitForSelector('.event');

  // a day long ago has nothing; today (in the browser's zone) has the event
  await page.fill('[data-testid=event-day]', '2020-01-01');
  await page.waitForSelector('.empty');
  const today = await page.evaluate('(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`; })()');
  await page.fill('[data-testid=event-day]', String(today));
  await page.waitForSelector('.event');
});

test('clicking an event opens the timeline at its start', { skip }, async () => {
  const [event] = await t.get<EventJson[]>(`/api/events?cameraId=drive&from=${Date.now() - 600_000}&to=${Date.now() + 60_000}`);
  const day = await page.evaluate(`(() => { const d = new Date(${event.startMs}); return \`\${d.getFullYear()}-\${String(d.getMonth() + 1).padStart(2, "0")}-\${String(d.getDate()).padStart(2, "0")}\`; })()`);
  await page.click(`.event[data-event-id="${event.id}"]`);
  await page.waitForURL(/#\/timeline\//);
  const hash = new URL(page.url()).hash;
  assert.equal(hash, `#/timeline/drive?day=${day}&at=${event.startMs}`);
});
