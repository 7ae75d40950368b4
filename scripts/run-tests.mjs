#!/usr/bin/env node
// The README's test command. Builds what the tests import, runs every package's suites one package at a time
// (turbo --concurrency=1: browser suites share two cores), then prints one closing line summed over all suites.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from './ensure-chromium.mjs';
import { envWithPnpm } from './pnpm-on-path.mjs';

// Before any suite: Chromium for the browser suites (installed with apt-get where possible, else one line saying how).
const missing = ensureChromium();
if (missing !== null) {
  console.error(missing);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const root = new URL('..', import.meta.url).pathname;
const env = { ...envWithPnpm(), TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' };
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
);
for (const ws of workspaces) rmSync(join(ws, '.vitest-results'), { recursive: true, force: true });

// --fast (`pnpm test:fast`): only the Node suites, without the build and without the files and cases marked slow
// (BASICRNN_FAST=1, read by vitest.shared.ts and the test-kit); everything else is passed on to turbo.
const fast = process.argv.includes('--fast');
// pnpm 12 passes a literal `--` on (`pnpm test -- --filter=…`): turbo must not see it.
const extra = process.argv.slice(2).filter((arg) => arg !== '--fast' && arg !== '--');
const run = fast
  ? runFastSuites()
  : spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', '--output-logs=full', ...extra], {
      cwd: root,
      stdio: 'inherit',
      env,
    });

/** Each workspace's Node suite, one after another, as vitest-suites.mjs runs it under turbo. */
function runFastSuites() {
  let status = 0;
  for (const ws of workspaces.filter((w) => existsSync(join(w, 'vitest.node.config.ts')))) {
    const r = spawnSync('node', [join(root, 'scripts', 'vitest-suites.mjs'), 'node'], {
      cwd: ws,
      stdio: 'inherit',
      env: { ...env, BASICRNN_FAST: '1', npm_package_name: ws.slice(root.length) },
    });
    if (r.status !== 0) status = 1;
  }
  return { status };
}

// A failed test counts once; a file that failed outside any test (did not load, a hook threw) counts once.
import { countReport } from './vitest-results.mjs';

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const ws of workspaces) {
  const dir = join(ws, '.vitest-results');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const counts = countReport(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
    rows.push(`${ws.slice(root.length).padEnd(24)} ${file.replace('.json', '').padEnd(22)} ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  }
}

console.log('\nSuites:');
for (const row of rows) console.log('  ' + row);
if (run.status !== 0 && failed === 0) failed = 1; // turbo failed outside any reported test (build, crash)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
