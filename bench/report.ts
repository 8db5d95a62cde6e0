/**
 * Turns medians into the table the bench prints and appends to bench/RESULTS.md: absolute figures
 * per server, then the first server's ratio to each of the others.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fmt, type Figures, type Scenario, type TargetCheck, type Variant } from './scenarios/scenario';

export const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

export interface ScenarioResult {
  scenario: Scenario;
  variants: Variant[];
  medians: Record<string, Figures>;
  /** Runs that produced figures, per variant. */
  runs: Record<string, number>;
  errors: string[];
  checks: TargetCheck[];
}

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  python: string;
  tornado: string;
}

export function machine(python: string, tornado: string | null): Machine {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    python,
    tornado: tornado ?? 'missing',
  };
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}`;
}

/** A Markdown table: metric, one column per variant, then first/other ratios. */
export function table(result: ScenarioResult): string {
  const [first, ...others] = result.variants;
  if (!first) return '';
  const header = [
    'metric',
    ...result.variants.map((v) => `${v.label} (n=${result.runs[v.label] ?? 0})`),
    ...others.map((o) => `${first.label}/${o.label}`),
  ];
  const rows = result.scenario.metrics.map((m) => [
    m.label,
    ...result.variants.map((v) => fmt(result.medians[v.label]?.[m.key], m.digits)),
    ...others.map((o) => ratio(result.medians[first.label]?.[m.key], result.medians[o.label]?.[m.key])),
  ]);
  const lines = [header, header.map((h, i) => (i === 0 ? '---' : '---:')), ...rows];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function checks(result: ScenarioResult): string {
  return result.checks
    .map(
      (c) =>
        `- ${c.met === null ? 'NOT JUDGED' : c.met ? 'MET' : 'MISSED'}: ${c.target} — measured ${c.measured}`,
    )
    .join('\n');
}

export function appendResults(
  results: ScenarioResult[],
  m: Machine,
  options: { argv: string; repeat: number; quick: boolean },
): void {
  if (!existsSync(RESULTS_FILE)) {
    writeFileSync(
      RESULTS_FILE,
      '# Benchmark results\n\nAppended by `npm run bench`; newest last. See bench/README.md for what each scenario does and how to reproduce.\n',
    );
  }
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const parts = [
    `\n## ${when} UTC — \`npm run bench${options.argv ? ` -- ${options.argv}` : ''}\`${options.quick ? ' (quick: smaller counts, shorter runs)' : ''}\n`,
    `Machine: ${m.cores} cores (${m.cpu}), Node ${m.node}, Python ${m.python}, Tornado ${m.tornado}. ` +
      `Server and load generator share these cores. These machines are shared and noisy: each figure is ` +
      `the median of ${options.repeat} run(s), each server started fresh per run, and differences of a ` +
      `few percent are within the noise.\n`,
  ];
  for (const r of results) {
    parts.push(`### ${r.scenario.title}\n`, table(r), '');
    if (r.checks.length > 0) parts.push(checks(r), '');
    for (const e of r.errors) parts.push(`- error: ${e}`);
    if (r.errors.length > 0) parts.push('');
  }
  appendFileSync(RESULTS_FILE, parts.join('\n') + '\n');
}
