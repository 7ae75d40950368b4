import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { countReport } from '../../../scripts/vitest-results.mjs';

// scripts/run-tests.mjs sums vitest's JSON reports into `pnpm test`'s closing line. Real reports from four tiny
// files: a failing test nested two describes deep must count once, a file that does not load once, a file whose
// afterAll throws once.
describe('pnpm test counts each failure once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'basicrnn-count-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sums a real vitest JSON report: 3 passed, 3 failed, 1 skipped', () => {
    const files: Record<string, string> = {
      'ok.test.js': `it('passes', () => {});\nit.skip('skipped', () => {});`,
      'nested.test.js': `describe('a', () => describe('b', () => { it('fails', () => { expect(1).toBe(2); }); it('passes', () => {}); }));`,
      'broken.test.js': `throw new Error('this file does not load');`,
      'hook.test.js': `describe('c', () => { afterAll(() => { throw new Error('hook'); }); it('passes', () => {}); });`,
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const report = join(dir, 'report.json');
    const run = spawnSync(
      'pnpm',
      ['exec', 'vitest', 'run', '--root', dir, '--globals', '--reporter=json', `--outputFile.json=${report}`],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(1);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    // What the old sum (numFailedTests + numFailedTestSuites − …) read: suites fail with every test inside them.
    expect(json.numFailedTestSuites).toBeGreaterThan(3);
    expect(countReport(json)).toEqual({ passed: 3, failed: 3, skipped: 1 });
  });
});
