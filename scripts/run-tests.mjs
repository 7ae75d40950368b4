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

const extra = process.argv.slice(2);
const run = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', '--output-logs=full', ...extra],
  { cwd: root, stdio: 'inherit', env },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const ws of workspaces) {
  const dir = join(ws, '.vitest-results');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const suiteFailed = r.numFailedTests + (r.numFailedTestSuites ?? 0) - countSuiteOnlyFailures(r);
    passed += r.numPassedTests;
    failed += suiteFailed;
    skipped += r.numPendingTests + r.numTodoTests;
    rows.push(`${ws.slice(root.length).padEnd(24)} ${file.replace('.json', '').padEnd(22)} ${r.numPassedTests} passed, ${suiteFailed} failed`);
  }
}

// A test file that fails to load counts as a failed suite with no failed test: count it once.
function countSuiteOnlyFailures(r) {
  return (r.testResults ?? []).filter((f) => f.status === 'failed' && f.assertionResults.some((a) => a.status === 'failed')).length;
}

console.log('\nSuites:');
for (const row of rows) console.log('  ' + row);
if (run.status !== 0 && failed === 0) failed = 1; // turbo failed outside any reported test (build, crash)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
