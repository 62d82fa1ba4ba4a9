// The headless Chromium the docs' tests and `pnpm bench` drive: Debian's build (or QZZ_CHROMIUM), with nothing
// running in the background that would reach beyond loopback or skew a timing.
import { chromium } from 'playwright-core';

/** Launches headless Chromium. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.QZZ_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
