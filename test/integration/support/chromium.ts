// Shared by the tests that need a real browser (a page on another origin calling the runner, the chain view): headless
// Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core, loaded only by the tests that use
// it, with the flags that keep it quiet in a container (no sandbox, GPU, QUIC, first run or background traffic).
import type { Browser } from 'playwright-core';

/** A new headless Chromium; the caller closes it. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
