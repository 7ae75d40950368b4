#!/usr/bin/env node
// Runs a package's vitest suites one after another (browser suites must not overlap on a 2-core machine).
// Each suite NAME is the config file vitest.NAME.config.ts; its JSON report lands in .vitest-results/NAME.json,
// which scripts/run-tests.mjs sums into the closing "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const suites = process.argv.slice(2);
if (suites.length === 0) {
  console.error('usage: vitest-suites.mjs SUITE [SUITE ...]');
  process.exit(2);
}
mkdirSync('.vitest-results', { recursive: true });
let failed = false;
for (const suite of suites) {
  const config = `vitest.${suite}.config.ts`;
  const report = resolve('.vitest-results', `${suite}.json`);
  rmSync(report, { force: true });
  if (!existsSync(config)) {
    console.error(`[vitest-suites] missing ${config}`);
    failed = true;
    continue;
  }
  console.log(`\n[vitest-suites] ${process.env.npm_package_name ?? ''} :: ${suite}`);
  const run = spawnSync(
    'pnpm',
    ['exec', 'vitest', 'run', '-c', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { stdio: 'inherit', env: { ...process.env, BASICRNN_SUITE: suite } },
  );
  if (run.status !== 0) failed = true;
  if (!existsSync(report)) {
    console.error(`[vitest-suites] ${suite} wrote no report (crashed before finishing)`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
