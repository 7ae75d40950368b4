import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

export default defineConfig(
  nodeConfig({
    testTimeout: 300_000,
    exclude: ['**/*.e2e.test.ts', 'bench/**', 'src/pack/**'],
    // The CLI main job trains and renders for tens of seconds, the adding-problem test for about two minutes:
    // `pnpm test` runs them, `pnpm test:fast` does not.
    slow: ['src/cli.test.ts', 'src/tasks/adding_learning.test.ts'],
  }),
);
