/**
 * The report page (pure: `npm run report`, `load --report` and the dashboard's Save report build it
 * alike): one self-contained HTML file for one run, or two side by side (compare). It
 * opens from disk with no network: chart.js, the page's script, its styles and the data are all
 * inline, and its Content-Security-Policy allows no connection at all and only the scripts it
 * carries (by hash). Tables, stalls and flame graphs are markup; only the charts are drawn by script.
 */
import { flameSvg } from './flame-svg';
import { escapeHtml as esc, jsonForScript } from './html-text';
import { REPORT_PAGE_SCRIPT } from './page-script';
import { REPORT_STYLES } from './page-styles';
import { stallsByFunction, type ReportChart, type ReportRun } from './report-model';

/** What the page inlines besides itself: chart.js's UMD build, and the CSP hashes of both scripts. */
export interface ReportAssets {
  chartJs: string;
  /** `'sha256-…'` source expressions of chartJs and of REPORT_PAGE_SCRIPT. */
  chartJsHash: string;
  pageScriptHash: string;
}

export { REPORT_PAGE_SCRIPT };

const fmtNumber = (v: number | null, unit = ''): string =>
  v === null || !Number.isFinite(v)
    ? '—'
    : `${v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 2 : 1 })}${unit ? ` ${unit}` : ''}`;

const when = (epochMs: number): string =>
  new Date(epochMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

function verdict(run: ReportRun): string {
  const { ok, note, thresholds } = run.verdict;
  const word = ok === null ? 'incomplete' : ok ? 'passed' : 'failed';
  const rows = thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? 'ok' : 'bad'}"><td>${esc(t.name)}</td><td>${fmtNumber(t.limit)}</td>` +
        `<td>${fmtNumber(t.value)}</td><td>${t.ok ? 'ok' : 'breached'}</td></tr>`,
    )
    .join('');
  return (
    `<div class="verdict ${word}" data-testid="verdict"><strong>${esc(run.name)}: ${word}</strong>` +
    `${note ? ` — ${esc(note)}` : ''}</div>` +
    (rows
      ? `<table class="thresholds"><thead><tr><th>threshold</th><th>limit</th><th>measured</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="muted">No thresholds were set.</p>')
  );
}

function headlineTable(runs: ReportRun[]): string {
  // A figure no run has (a feed follower's round trip) is no row.
  const keys = [...new Map(runs.flatMap((r) => r.headlines.map((h) => [h.key, h] as const))).values()].filter(
    (h) => runs.some((r) => (r.headlines.find((x) => x.key === h.key)?.value ?? null) !== null),
  );
  if (keys.length === 0) return '<p class="muted">No client figures in this recording.</p>';
  const head =
    runs.map((r) => `<th>${esc(r.name)}</th>`).join('') + (runs.length === 2 ? '<th>change</th>' : '');
  const rows = keys.map((h) => {
    const values = runs.map((r) => r.headlines.find((x) => x.key === h.key)?.value ?? null);
    const cells = values.map((v) => `<td>${fmtNumber(v, h.unit)}</td>`).join('');
    let change = '';
    if (runs.length === 2) {
      const [a, b] = values;
      if (a === null || b === null || a === undefined || b === undefined) change = '<td>—</td>';
      else {
        const pct = a === 0 ? (b === 0 ? 0 : Infinity) : ((b - a) / a) * 100;
        const worse = h.better === 'lower' ? b > a : b < a;
        const text = Number.isFinite(pct) ? `${pct > 0 ? '+' : ''}${pct.toFixed(1)} %` : `${a} → ${b}`;
        change = `<td class="${a === b ? '' : worse ? 'bad' : 'ok'}">${text}</td>`;
      }
    }
    return `<tr><td>${esc(h.label)}</td>${cells}${change}</tr>`;
  });
  return `<table data-testid="headlines"><thead><tr><th>figure</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function stallsByFunctionTable(runs: ReportRun[]): string {
  const maps = runs.map(stallsByFunction);
  const names = [...new Set(maps.flatMap((m) => [...m.keys()]))];
  if (names.length === 0) return '';
  const rows = names
    .map((n) => {
      const cells = maps
        .map((m) => {
          const e = m.get(n);
          return `<td>${e ? `${e.count} (${fmtNumber(e.totalMs, 'ms')})` : '0'}</td>`;
        })
        .join('');
      return `<tr><td><code>${esc(n)}</code></td>${cells}</tr>`;
    })
    .join('');
  return (
    `<h3>Stalls by function</h3><table data-testid="stalls-by-function"><thead><tr><th>function file:line</th>` +
    `${runs.map((r) => `<th>${esc(r.name)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`
  );
}

function stallSection(run: ReportRun, prefix: string): string {
  if (run.stalls.length === 0)
    return `<p class="muted">${esc(prefix)}No stalls were listed by the target.</p>`;
  return run.stalls
    .map((s) => {
      const flame = s.profile ? flameSvg(s.profile) : null;
      return (
        `<details class="stall" data-testid="stall" open><summary><strong>${esc(prefix)}stall ${s.id}</strong> at ` +
        `${fmtNumber(s.atS, 's')}: ${fmtNumber(s.durationMs, 'ms')} in <code class="culprit">${esc(s.culprit)}</code></summary>` +
        `<ol class="stack">${s.stack.map((f) => `<li><code>${esc(f)}</code></li>`).join('')}</ol>` +
        (flame ?? '<p class="muted">No CPU samples were served for this stall.</p>') +
        `</details>`
      );
    })
    .join('');
}

function episodeSection(runs: ReportRun[]): string {
  const rows = runs.flatMap((r) =>
    r.episodes.map(
      (e) =>
        `<tr>${runs.length > 1 ? `<td>${esc(r.name)}</td>` : ''}<td>${esc(e.cause)}</td><td>${esc(e.summary)}</td>` +
        `<td>${fmtNumber(e.atS, 's')}</td><td>${e.endS === null ? 'still open' : fmtNumber(e.endS, 's')}</td>` +
        `<td><code>${esc(JSON.stringify(e.culprit))}</code></td></tr>`,
    ),
  );
  if (rows.length === 0)
    return '<p class="muted">No episodes: the target served no GET /diagnosis, or saw no cause.</p>';
  return (
    `<table data-testid="episodes"><thead><tr>${runs.length > 1 ? '<th>run</th>' : ''}<th>cause</th><th>what</th>` +
    `<th>from</th><th>to</th><th>culprit</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function integritySection(runs: ReportRun[]): string {
  const rows = runs.flatMap((r) =>
    r.integrity.map((k) => {
      const failures = Object.entries(k.failures)
        .map(([cause, n]) => `${esc(cause)} ×${n}`)
        .join(', ');
      return (
        `<tr>${runs.length > 1 ? `<td>${esc(r.name)}</td>` : ''}<td>${esc(k.kind)}</td><td>${k.wrong}</td><td>${k.missing}</td>` +
        `<td>${k.duplicated}</td><td>${k.outOfOrder}</td><td>${k.expiredLost}</td><td>${failures || '0'}</td></tr>`
      );
    }),
  );
  if (rows.length === 0) return '<p class="muted">No clients in this recording.</p>';
  return (
    `<table data-testid="integrity"><thead><tr>${runs.length > 1 ? '<th>run</th>' : ''}<th>kind</th><th>wrong</th>` +
    `<th>missing</th><th>duplicated</th><th>out of order</th><th>expired</th><th>failures</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function environment(runs: ReportRun[]): string {
  const fields: [string, (r: ReportRun) => string][] = [
    ['recorded', (r) => when(r.meta.startedAt)],
    ['length', (r) => fmtNumber(r.durationS, 's')],
    ['recorded by', (r) => r.meta.source],
    ['target', (r) => r.meta.target ?? '—'],
    ['command', (r) => (r.meta.commandLine ? r.meta.commandLine.join(' ') : '—')],
    [
      'Loopscope',
      (r) =>
        `${r.meta.loopscope.version}${r.meta.loopscope.commit ? ` (${r.meta.loopscope.commit.slice(0, 10)})` : ''}`,
    ],
    [
      'machine',
      (r) =>
        `${r.meta.machine.cores} cores, ${(r.meta.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${r.meta.machine.os} ${r.meta.machine.arch}`,
    ],
    ['Node', (r) => r.meta.machine.node],
    ['report interval', (r) => fmtNumber(r.meta.intervalMs, 'ms')],
  ];
  const head = runs.map((r) => `<th>${esc(r.name)}</th>`).join('');
  const rows = fields.map(
    ([name, get]) => `<tr><td>${name}</td>${runs.map((r) => `<td>${esc(get(r))}</td>`).join('')}</tr>`,
  );
  return `<table data-testid="environment"><thead><tr><th></th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The charts as the page's script draws them: each run's series, tagged with its run. */
function pageCharts(runs: ReportRun[]): (Omit<ReportChart, 'series'> & {
  datasets: { run: number; label: string; points: [number, number][] }[];
})[] {
  return runs[0]!.charts.map((c) => {
    const datasets = runs.flatMap((r, run) =>
      (r.charts.find((x) => x.id === c.id)?.series ?? [])
        .filter((s) => s.points.length > 0)
        .map((s) => ({ run, label: runs.length > 1 ? `${r.name}: ${s.label}` : s.label, points: s.points })),
    );
    const empty = runs.map((r) => r.charts.find((x) => x.id === c.id)?.empty ?? '').find((e) => e) ?? '';
    const title =
      runs.map((r) => r.charts.find((x) => x.id === c.id)?.title ?? c.title).find((t) => t) ?? c.title;
    return {
      id: c.id,
      title,
      unit: c.unit,
      empty: datasets.length === 0 ? empty || 'Nothing to draw.' : '',
      datasets,
    };
  });
}

/** One run (a report) or two (a compare, the first as the baseline). */
export function reportPage(runs: ReportRun[], assets: ReportAssets): string {
  if (runs.length < 1 || runs.length > 2) throw new Error('a report takes one recording, a compare two');
  const compare = runs.length === 2;
  const title = compare
    ? `Loopscope compare: ${runs[0]!.name} vs ${runs[1]!.name}`
    : `Loopscope report: ${runs[0]!.name}`;
  const charts = pageCharts(runs);
  const chartCards = charts
    .map(
      (c) =>
        `<section class="chart-card" data-testid="chart-${c.id}"><h3>${esc(c.title)}</h3>` +
        (c.empty
          ? `<p class="muted">${esc(c.empty)}</p>`
          : `<div class="canvas-box"><canvas id="chart-${c.id}" aria-label="${esc(c.title)}"></canvas></div>`) +
        `</section>`,
    )
    .join('');
  const data = jsonForScript({ charts: charts.filter((c) => !c.empty), runs: runs.map((r) => r.name) });
  const chartScript = assets.chartJs;
  const pageScript = REPORT_PAGE_SCRIPT;
  const csp = [
    "default-src 'none'",
    `script-src ${assets.chartJsHash} ${assets.pageScriptHash}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const runNames = runs
    .map((r, i) => `<span class="run run-${i}" data-testid="run-name">${esc(r.name)}</span>`)
    .join(' vs ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${REPORT_STYLES}</style>
</head><body>
<header><h1>${compare ? 'Loopscope compare' : 'Loopscope report'}</h1><p class="runs">${runNames}</p>
<p class="muted">Recorded ${esc(when(runs[0]!.meta.startedAt))}${compare ? ` and ${esc(when(runs[1]!.meta.startedAt))}` : ''}; times on the charts are seconds from each run's start.</p></header>
<main>
<section><h2>Verdict</h2>${runs.map(verdict).join('')}</section>
<section><h2>Charts</h2><div class="charts">${chartCards}</div></section>
<section><h2>Headline figures</h2>${headlineTable(runs)}${compare ? stallsByFunctionTable(runs) : ''}</section>
<section><h2>Stalls</h2>${runs.map((r) => stallSection(r, compare ? `${r.name}: ` : '')).join('')}</section>
<section><h2>Why clients waited</h2>${episodeSection(runs)}</section>
<section><h2>Integrity and failures</h2>${integritySection(runs)}</section>
<section><h2>Environment</h2>${environment(runs)}</section>
</main>
<script type="application/json" id="report-data">${data}</script>
<script>${chartScript}</script>
<script>${pageScript}</script>
</body></html>
`;
}
