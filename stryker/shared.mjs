// Settings shared by the Stryker runs of `pnpm mutation` (core, viz). Stryker runs from the repository root so the
// sandbox keeps the monorepo layout the packages' vitest configs (../../vitest.shared.ts) and workspace links need.

/**
 * A run of one package's node suite over `mutate`, reporting to reports/mutation/<name>.{html,json}.
 * @param {string} name
 * @param {string} vitestConfig
 * @param {string[]} mutate
 * @param {string[]} ignore paths the sandbox need not copy
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function mutationRun(name, vitestConfig, mutate, ignore) {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: vitestConfig, related: false },
    mutate: [...mutate, '!**/*.test.ts'],
    ignorePatterns: ['apps', 'docs', 'reports', 'packages/backend-wasm', 'packages/backend-webgl', '**/dist', '**/.turbo', '**/.vitest-results', ...ignore],
    coverageAnalysis: 'perTest',
    // Static mutants (code run once at import: the gradient and kernel registration tables, module constants) need
    // every test file re-imported per mutant: a third of core's mutants and ~80% of the run time. They are left
    // out; the report counts them as ignored.
    ignoreStatic: true,
    // One test runner: the machine is shared; a looping mutant is cut off 10 s past the suite's own time.
    concurrency: 1,
    timeoutMS: 10_000,
    reporters: ['html', 'json', 'clear-text', 'progress'],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
  };
}
