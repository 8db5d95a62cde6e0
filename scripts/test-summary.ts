/**
 * Prints vitest's totals as one plain line ("tests: N passed, N failed, N skipped") that CI
 * systems which do not parse vitest's own output can read. Input: vitest's JSON report.
 */
import { readFileSync } from 'node:fs';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: tsx scripts/test-summary.ts <vitest-json-report>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
