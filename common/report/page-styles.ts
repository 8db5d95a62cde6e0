/** The report page's styles: light, plain, and readable on paper. */
export const REPORT_STYLES = `
:root { color-scheme: light; --muted: #666; --line: #ddd; --ok: #1d7a3e; --bad: #b3261e; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px; color: #1a1a1a; }
h1 { margin: 0 0 4px; font-size: 22px; } h2 { margin: 28px 0 8px; font-size: 18px; border-bottom: 1px solid var(--line); }
h3 { margin: 12px 0 6px; font-size: 15px; }
.muted { color: var(--muted); }
.runs .run { font-weight: 600; } .runs .run-1 { text-decoration: underline dashed; }
table { border-collapse: collapse; margin: 6px 0 12px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td code, li code { font-size: 12px; word-break: break-all; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.verdict { padding: 8px 12px; border-radius: 6px; margin: 6px 0; border: 1px solid var(--line); }
.verdict.passed { background: #e8f5ec; } .verdict.failed { background: #fbe9e7; } .verdict.incomplete { background: #fff6dd; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.chart-card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; break-inside: avoid; }
.canvas-box { position: relative; height: 260px; }
.stall { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 8px 0; break-inside: avoid; }
.stack { margin: 6px 0; padding-left: 22px; }
svg.flame { display: block; margin: 8px 0; font: 11px system-ui, sans-serif; }
svg.flame text { fill: #111; pointer-events: none; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .charts { grid-template-columns: 1fr 1fr; }
  .canvas-box { height: 200px; }
  details { display: block; } details > summary { list-style: none; }
  h2 { break-after: avoid; }
}
`;
