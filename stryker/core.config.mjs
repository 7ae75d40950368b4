// Stryker mutation testing of @basicrnn/core (run with `pnpm mutation`; not part of `pnpm test`).
// Runs from the repository root so the sandbox keeps the monorepo layout that core's vitest config
// (../../vitest.shared.ts) and the workspace links need. Scope: kernels, gradients and ops, training, validation.
// Narrow it for a quick look with `--mutate`, e.g. `pnpm mutation:core --mutate packages/core/src/training/losses.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'packages/core/vitest.mutation.config.ts', related: false },
  mutate: [
    'packages/core/src/kernels/**/*.ts',
    'packages/core/src/gradients/**/*.ts',
    'packages/core/src/ops/**/*.ts',
    'packages/core/src/training/**/*.ts',
    'packages/core/src/validate.ts',
    'packages/core/src/options.ts',
    '!**/*.test.ts',
  ],
  ignorePatterns: ['apps', 'docs', 'reports', 'packages/backend-wasm', 'packages/backend-webgl', 'packages/viz', '**/dist', '**/.turbo', '**/.vitest-results'],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/core.html' },
  jsonReporter: { fileName: 'reports/mutation/core.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
