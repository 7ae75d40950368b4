import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from '../../vitest.shared.ts';

// End-to-end suite of the web app: runs in Node, starts the Vite dev server (COOP/COEP, as `pnpm demo`) on a free
// port and drives Debian Chromium through Playwright. Screenshots land in test-output/e2e/.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/web/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    provide: { chromiumPath, chromiumArgs },
  },
});
