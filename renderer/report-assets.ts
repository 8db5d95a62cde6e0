/**
 * What the dashboard's Save report inlines, as `npm run report` does: chart.js's UMD build (bundled
 * as text; the package's exports map has no subpath for it, hence the path) and the CSP hashes of
 * the page's two scripts, by Web Crypto.
 */
import chartJs from '../node_modules/chart.js/dist/chart.umd.min.js?raw';
import { REPORT_PAGE_SCRIPT, type ReportAssets } from '../common/report/report-page';

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `'sha256-${btoa(binary)}'`;
}

let assets: Promise<ReportAssets> | null = null;

export function reportAssets(): Promise<ReportAssets> {
  assets ??= Promise.all([sha256(chartJs), sha256(REPORT_PAGE_SCRIPT)]).then(
    ([chartJsHash, pageScriptHash]) => ({
      chartJs,
      chartJsHash,
      pageScriptHash,
    }),
  );
  return assets;
}
