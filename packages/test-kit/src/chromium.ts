// Debian's Chromium and the flags that keep it quiet on a machine with no network and no GPU, shared by the
// vitest browser suites (vitest.shared.ts) and the Playwright tests that launch it themselves.
import { existsSync } from 'node:fs';

/** Path of the Chromium binary; `CHROMIUM_PATH` overrides Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch flags: no sandbox (root), no background network, WebGL through SwiftShader. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

/** Throws when Chromium is missing: a missing browser is a failure, never a silent skip. */
export function assertChromium(): void {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium (apt-get install -y chromium)`);
  }
}
