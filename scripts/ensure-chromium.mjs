#!/usr/bin/env node
// What `pnpm test` needs besides node_modules: Debian's Chromium for the browser suites (Playwright's own browser
// download does not work offline). Installs it with apt-get where that can work (root, apt-get present), else
// stops with the one line that does it, before any suite runs. CHROMIUM_PATH points at another Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the suites look for Chromium (packages/test-kit/src/chromium.ts reads the same variable). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The one line a user runs when this script cannot install Chromium itself. */
export const INSTALL_LINE = 'sudo apt-get update && sudo apt-get install -y chromium';

/**
 * Returns null when Chromium is there (or was just installed), else the sentence to print.
 * `install` is injectable so the test can check each path without touching the machine.
 */
export function ensureChromium({
  path = chromiumPath,
  exists = existsSync,
  isRoot = typeof process.getuid === 'function' && process.getuid() === 0,
  hasAptGet = existsSync('/usr/bin/apt-get'),
  install = aptInstallChromium,
  log = (line) => console.log(line),
} = {}) {
  if (exists(path)) return null;
  if (process.env.CHROMIUM_PATH !== undefined) {
    return `Chromium not found at CHROMIUM_PATH=${path}: point CHROMIUM_PATH at a Chromium binary, or unset it and run: ${INSTALL_LINE}`;
  }
  if (isRoot && hasAptGet) {
    log('[ensure-chromium] Chromium is missing: installing Debian\'s chromium with apt-get (once; about a minute)');
    if (install() && exists(path)) return null;
    return `apt-get could not install chromium (see above); install it and rerun: ${INSTALL_LINE}`;
  }
  return `The browser test suites need Debian's Chromium at ${path}; install it and rerun: ${INSTALL_LINE}`;
}

function aptInstallChromium() {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) return false;
  return spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problem = ensureChromium();
  if (problem !== null) {
    console.error(problem);
    process.exit(1);
  }
}
