/** Shared by the web UI's browser tests: the bundle built once, screenshots, reading the page. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildWeb } from '../../web/build.mjs';

/** Where each run's screenshots go (gitignored); looked at by hand, one copied to web/screenshots/. */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '.tmp', 'screenshots');

let built: Promise<unknown> | null = null;
/** Builds web/dist once per process: tests serve what the source says now. */
export function buildUiOnce(): Promise<unknown> {
  built ??= (buildWeb as (o: { quiet: boolean }) => Promise<unknown>)({ quiet: true });
  return built;
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? false });
  return path;
}

/** A live tile's video as the page sees it (evaluated in the browser). */
export interface TileState {
  currentTime: number;
  readyState: number;
  bufferedStart: number;
  bufferedEnd: number;
  badge: string | null;
  state: string | null;
}

export function tileState(page: Page, cameraId: string): Promise<TileState | null> {
  return page.evaluate((id) => {
    // this project's TypeScript has no DOM types: the browser's globals, typed loosely
    const document = (globalThis as unknown as { document: { querySelector(s: string): any } }).document;
    const tile = document.querySelector(`.tile[data-camera="${id}"]`);
    const v = tile?.querySelector('video') as { currentTime: number; readyState: number; buffered: { length: number; start(i: number): number; end(i: number): number } } | null | undefined;
    if (!tile || !v) return null;
    const b = v.buffered;
    return {
      currentTime: v.currentTime,
      readyState: v.readyState,
      bufferedStart: b.length ? b.start(0) : 0,
      bufferedEnd: b.length ? b.end(b.length - 1) : 0,
      badge: tile.querySelector('[data-testid="badge-live"]')?.textContent ?? null,
      state: tile.getAttribute('data-state'),
    };
  }, cameraId);
}
