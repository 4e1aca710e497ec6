/** Debian's Chromium driven by playwright-core, for tests of pages served by the NVR itself. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** A test's `skip` option: false when Chromium is here, else the reason. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (CI installs Debian's chromium package)`;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile. The flags keep it off the
 * network (this machine refuses outside connections) and let media autoplay.
 */
export async function launchBrowser(opts: { viewport?: { width: number; height: number }; acceptDownloads?: boolean; timezoneId?: string } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'nvr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    acceptDownloads: opts.acceptDownloads ?? true,
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A time zone where it is about noon now (Etc/GMT-N is UTC+N). Pages show
 * local days: in it a test's recording is mid-day, not at the bar's edge, and
 * no run crosses midnight.
 */
export function zoneAtNoon(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // -11..12 hours
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
