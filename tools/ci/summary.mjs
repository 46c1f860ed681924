#!/usr/bin/env node
// Prints the one line CI reads for the whole run: "N passed, N failed" (", N skipped" when any).
// Counts come from the vitest JSON reports that every project writes to tmp/test-results/.
// A non-zero exit of the task runner with no failing test (lint, typecheck or build broke) counts
// as one failure, so the line can never say "0 failed" about a red run. Under CI=true a skipped
// test is a failure too: CI has every optional component, so nothing may be skipped there.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [, , resultsDir = 'tmp/test-results', runnerExit = '0'] = process.argv;
let passed = 0;
let failed = 0;
let skipped = 0;
const skippedNames = [];
const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((name) => name.endsWith('.json')) : [];
for (const file of files) {
  const report = JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A suite that failed to load (syntax error, import error) has no tests but is a failure.
  failed += (report.testResults ?? []).filter((suite) => suite.status === 'failed' && suite.assertionResults.length === 0).length;
  for (const suite of report.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
        skipped += 1;
        skippedNames.push(`${path.basename(file, '.json')}: ${test.fullName}`);
      }
    }
  }
}
if (process.env.CI === 'true' && skipped > 0) {
  console.log(`CI=true: ${skipped} skipped test(s) count as failed:\n  ${skippedNames.join('\n  ')}`);
  failed += skipped;
  skipped = 0;
} else if (skipped > 0) {
  console.log(`skipped:\n  ${skippedNames.join('\n  ')}`);
}
if (runnerExit !== '0' && failed === 0) {
  console.log('the task runner failed outside the tests (lint, typecheck or build): counted as 1 failure');
  failed = 1;
}
if (files.length === 0 && failed === 0) {
  console.log('no test report was written: counted as 1 failure');
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
