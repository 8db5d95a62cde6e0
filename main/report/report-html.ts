/**
 * The report page in Node: chart.js's UMD build read from the installed package, and the CSP
 * hashes of the page's scripts, handed to the pure page builder (common/report/report-page.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ReportRun } from '../../common/report/report-model';
import { REPORT_PAGE_SCRIPT, reportPage, type ReportAssets } from '../../common/report/report-page';

let assets: ReportAssets | null = null;

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function reportAssets(): ReportAssets {
  if (assets === null) {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    const chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
    assets = { chartJs, chartJsHash: sha256(chartJs), pageScriptHash: sha256(REPORT_PAGE_SCRIPT) };
  }
  return assets;
}

export function reportHtml(runs: ReportRun[]): string {
  return reportPage(runs, reportAssets());
}
