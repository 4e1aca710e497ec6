/**
 * The live grid in Debian's Chromium, served by the app itself: ffmpeg
 * publishes, the tile plays through MSE and says "live"; the publisher stops
 * (the tile shows the latest thumbnail) and comes back, and the tile plays
 * again on its own. Screenshots of the
 * grid (desktop light and dark, phone) and of one camera enlarged.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app-harness.js';
import { launchBrowser, skipWithoutChromium as skip, type Browser } from '../helpers/browser.js';
import { ffmpegPublish, waitFor, type Run } from '../helpers/media-tools.js';
import { buildUiOnce, screenshot, tileState } from './web-helpers.js';

let t: TestApp;
let browser: Browser;
let page: Page;
let pub: Run | null = null;
const base = () => `http://127.0.0.1:${t.httpPort}`;
const publish = () => ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/yard`, { seconds: 120, gop: 25 });
const live = async (id: string) => (await t.get<{ id: string; live: boolean }[]>('/api/cameras')).find((c) => c.id === id)?.live;

before(async () => {
  if (skip) return;
  await buildUiOnce();
  t = await startTestApp({
    cameras: [
      // motion on: its decoder keeps the thumbnails an offline tile shows
      { id: 'yard', name: 'Back yard', recording: { enabled: false } },
      { id: 'gate', name: 'Gate', recording: { enabled: false } },
    ],
  });
  pub = publish();
  // the gate camera published once and went away: an offline tile with its latest thumbnail
  const gate = ffmpegPublish(`rtmp://127.0.0.1:${t.rtmpPort}/live/gate`, { seconds: 3, gop: 25, size: '1280x720' });
  await waitFor(() => live('yard'), 'yard live');
  assert.equal(await gate.exited, 0, gate.stderr());
  await waitFor(async () => (await fetch(`${base()}/api/cameras/gate/thumbnail`)).status === 200, 'a gate thumbnail');
  await waitFor(async () => !(await live('gate')), 'gate offline');
  browser = await launchBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  if (skip) return;
  pub?.proc.kill('SIGKILL');
  await browser?.close();
  await t?.stop();
});

/** Waits until the tile's video has advanced `seconds` past where it was and can show frames. */
async function playsOn(id: string, seconds: number, what: string) {
  const start = (await tileState(page, id))?.currentTime ?? 0;
  return waitFor(async () => {
    const s = await tileState(page, id);
    return s && s.readyState >= 2 && s.currentTime > start + seconds ? s : null;
  }, what, 20_000);
}

test('the live tile plays through MSE, says live, and stays near the live edge', { skip }, async (ctx) => {
  const opened = Date.now();
  await page.goto(`${base()}/#/live`);
  const first = await playsOn('yard', 0.5, 'the yard tile to play');
  ctx.diagnostic(`playing ${Date.now() - opened} ms after the page opened`);
  assert.equal(first.badge, 'live');
  assert.equal(first.state, 'playing');
  const gate = await tileState(page, 'gate');
  assert.equal(gate?.badge, 'offline', 'a camera that stopped publishing shows offline');
  await waitFor(
    () => page.evaluate(`(() => { const i = document.querySelector('.tile[data-camera="gate"] img.thumb'); return i && i.complete && i.naturalWidth > 0; })()`),
    'the offline tile to show its latest thumbnail',
  );

  await playsOn('yard', 2, 'two more seconds of video');
  const lags: number[] = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 400));
    const s = (await tileState(page, 'yard'))!;
    lags.push(s.bufferedEnd - s.currentTime);
  }
  ctx.diagnostic(`behind the buffered end: ${lags.map((x) => x.toFixed(2)).join(', ')} s`);
  assert.ok(Math.max(...lags) < 1.6, `within ~1.5 s of the live edge: ${lags.join(', ')}`);
  // muted until asked: the speaker button turns sound on and off, without enlarging the tile
  const muted = () => page.evaluate(`document.querySelector('.tile[data-camera="yard"] video').muted`);
  assert.equal(await muted(), true);
  await page.click('.tile[data-camera="yard"] [data-testid=audio]');
  assert.equal(await muted(), false);
  assert.match(page.url(), /#\/live$/);
  await page.click('.tile[data-camera="yard"] [data-testid=audio]');
  assert.equal(await muted(), true);
  await screenshot(page, 'live-desktop');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'live-desktop-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('after the publisher stops and comes back, the tile plays again by itself, with a bounded buffer', { skip }, async () => {
  pub!.proc.kill('SIGKILL');
  await pub!.exited;
  await waitFor(async () => (await tileState(page, 'yard'))?.badge === 'offline', 'the tile to say offline', 15_000);
  // offline: the latest thumbnail stands in for the video
  await waitFor(
    () => page.evaluate(`(() => { const i = document.querySelector('.tile[data-camera="yard"] img.thumb'); return i && i.complete && i.naturalWidth > 0; })()`),
    'the offline tile to show the latest thumbnail',
  );
  await screenshot(page, 'live-offline');
  pub = publish();
  await waitFor(async () => (await tileState(page, 'yard'))?.badge === 'live', 'the tile to say live again', 15_000);
  await playsOn('yard', 2, 'the tile to play two seconds after the publisher came back');

  // the same MSE timeline since the page opened (the socket stayed open): played media is trimmed
  const s = await waitFor(async () => {
    const now = await tileState(page, 'yard');
    return now && now.currentTime > 15 ? now : null;
  }, 'fifteen seconds played on one timeline', 20_000);
  assert.ok(s.currentTime - s.bufferedStart < 13, `buffered from ${s.bufferedStart} s with the playhead at ${s.currentTime} s (trimmed at 12 s behind)`);
  assert.ok(s.bufferedEnd - s.currentTime < 1.6, `still near the live edge: ${(s.bufferedEnd - s.currentTime).toFixed(2)} s`);
});

test('a click enlarges a tile, Escape returns to the grid', { skip }, async () => {
  await page.click('.tile[data-camera="yard"]');
  await page.waitForURL(/#\/live\/yard$/);
  await page.waitForSelector('.tile.large[data-camera="yard"]');
  await playsOn('yard', 1, 'the enlarged tile to play');
  await screenshot(page, 'live-single');
  await page.keyboard.press('2');
  await page.waitForURL(/#\/live\/gate$/);
  await page.keyboard.press('Escape');
  await page.waitForURL(/#\/live$/);
  await page.waitForSelector('.tile[data-camera="gate"]');
});

test('on a phone (375 px) the grid is one column and the tile plays', { skip }, async () => {
  const phone = await browser.context.newPage();
  try {
    await phone.setViewportSize({ width: 375, height: 812 });
    await phone.goto(`${base()}/#/live`);
    await phone.waitForSelector('.tile[data-camera="gate"]');
    const boxes = await Promise.all(['yard', 'gate'].map((id) => phone.locator(`.tile[data-camera="${id}"]`).boundingBox()));
    assert.ok(boxes[0] && boxes[1]);
    assert.equal(Math.round(boxes[0].x), Math.round(boxes[1].x), 'tiles stacked in one column');
    assert.ok(boxes[1].y > boxes[0].y);
    assert.ok(boxes[0].width > 330 && boxes[0].x + boxes[0].width <= 375, `tile fills the width: ${JSON.stringify(boxes[0])}`);
    const scrollWidth = await phone.evaluate('document.documentElement.scrollWidth');
    assert.ok(Number(scrollWidth) <= 375, `no sideways scrolling (${scrollWidth} px)`);
    await waitFor(async () => {
      const s = await tileState(phone, 'yard');
      return s && s.readyState >= 2 && s.currentTime > 0.5;
    }, 'the phone tile to play', 20_000);
    await screenshot(phone, 'live-phone');
  } finally {
    await phone.close();
  }
});
