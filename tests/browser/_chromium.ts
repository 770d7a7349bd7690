/**
 * Chromium for the browser tests: where it is, whether it is there (with a
 * loud warning when not), and how it is launched on this network-closed
 * machine. One copy for every browser test.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium; Playwright's own browser download does not work here. */
export const CHROMIUM = "/usr/bin/chromium";

/** True when Chromium is installed; a test that needs it passes this to `ignore`. */
export function hasChromium(testFile: string): boolean {
  try {
    if (Deno.statSync(CHROMIUM).isFile) return true;
  } catch {
    // Not installed.
  }
  console.warn(
    `\n*** SKIPPING the browser test (${testFile}): no Chromium at ${CHROMIUM}.\n` +
      "*** Install it with `sh .ci/install_chromium.sh` (apt-get install -y chromium).\n",
  );
  return false;
}

/**
 * Launches headless Chromium. Background networking is off: this machine's
 * closed network refuses its connections, many at a time.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
