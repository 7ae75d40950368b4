// Counting of vitest JSON reports (the files scripts/vitest-suites.mjs writes), shared by scripts/run-tests.mjs
// and its test (packages/test-kit/src/run_tests_count.test.ts).
//
// vitest's numFailedTestSuites counts every failed describe block as well as the file, so adding it to
// numFailedTests counted one failed test once per enclosing block. Here a failed test counts once, and a file
// that failed with no failed test (it did not load, or a hook outside any test threw) counts once.

/**
 * @param {{ numPassedTests: number, numFailedTests: number, numPendingTests: number, numTodoTests: number,
 *   testResults?: { status: string, assertionResults: { status: string }[] }[] }} report
 * @returns {{ passed: number, failed: number, skipped: number }}
 */
export function countReport(report) {
  const fileOnlyFailures = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + fileOnlyFailures,
    skipped: report.numPendingTests + report.numTodoTests,
  };
}
