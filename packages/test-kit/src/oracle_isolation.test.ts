import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Static half of the rule in README "Whose gradients are tested" (the runtime half: parityTests asserts core's
// gradients are active before it checks any): a test file that loads @tensorflow/tfjs, directly or through the
// oracle entry, must not also run the parity suite, because its process then trains with tfjs's gradients.
const root = new URL('../../../', import.meta.url).pathname;

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return /\.test\.ts$/.test(name) ? [path] : [];
  });
}

const loadsTfjs = /from '@tensorflow\/tfjs'|import\('@tensorflow\/tfjs'\)|from '@basicrnn\/test-kit\/oracle'|from '\.\/oracle(_entry|_parity)?\.js'/;
const checksGradients = /\bparityTests\(|\bexpectCoreGradientsActive\(/;

describe('test files that load @tensorflow/tfjs', () => {
  it('never run the parity suite (it checks core’s gradients, which tfjs’s replace in that process)', () => {
    const files = [...testFiles(join(root, 'packages')), ...testFiles(join(root, 'apps'))];
    expect(files.length).toBeGreaterThan(10);
    const offending = files.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return loadsTfjs.test(text) && checksGradients.test(text);
    });
    expect(offending.map((f) => relative(root, f))).toEqual([]);
    // The oracle's runner files exist and are found by the pattern (the check above is not vacuous).
    expect(files.filter((f) => loadsTfjs.test(readFileSync(f, 'utf8'))).length).toBeGreaterThanOrEqual(4);
  });
});
