// Stryker mutation testing of @basicrnn/viz's data code (run with `pnpm mutation`; not part of `pnpm test`).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'packages/viz/vitest.mutation.config.ts', related: false },
  mutate: ['packages/viz/src/data.ts'],
  ignorePatterns: ['apps', 'docs', 'reports', 'packages/backend-wasm', 'packages/backend-webgl', '**/dist', '**/.turbo', '**/.vitest-results'],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/viz.html' },
  jsonReporter: { fileName: 'reports/mutation/viz.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
