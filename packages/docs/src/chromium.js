// The headless Chromium the docs' tests and `pnpm bench` drive: @qzz/chromium's (a package of its own, so that
// packages below the docs in the graph can drive it too).
export { launchChromium } from '@qzz/chromium';
