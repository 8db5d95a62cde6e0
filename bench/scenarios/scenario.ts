/**
 * What a benchmark scenario is: the servers (variants) it runs against, the figures it measures on
 * one of them, and the targets it checks on the medians. The runner (bench/run.ts) does the rest:
 * start each server fresh, repeat, take medians, print and record.
 */
import type { ClientKind, KindReport, LoadReport } from '../../common/load';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import type { RunningServer, ServerName, ServerOptions } from '../servers';

export { processCpuMs, processTreeCpuMs } from '../proc-cpu';

/** One measured figure per key; null when it does not apply or could not be measured. */
export type Figures = Record<string, number | null>;

export interface Metric {
  key: string;
  label: string;
  /** Decimal places in the table. */
  digits: number;
}

export interface Variant {
  label: string;
  server: ServerName;
  options?: ServerOptions;
}

export interface ScenarioContext {
  server: RunningServer;
  /** The variant being run (a scenario whose variants differ in the client, not the server, reads it). */
  variant: Variant;
  /** Stops `server` and starts the same variant afresh (a phase that must not inherit memory). */
  fresh(): Promise<RunningServer>;
  quick: boolean;
  log(line: string): void;
}

export interface TargetCheck {
  target: string;
  /** null: could not be judged (a server or figure missing). */
  met: boolean | null;
  measured: string;
}

export interface Scenario {
  name: string;
  title: string;
  /** Defaults to Loopscope, the baseline and Tornado; the first is the one ratios are about. */
  variants?: Variant[];
  metrics: Metric[];
  run(ctx: ScenarioContext): Promise<Figures>;
  /** Judged on the medians, keyed by variant label. */
  targets?(medians: Record<string, Figures>, quick: boolean): TargetCheck[];
}

export const DEFAULT_VARIANTS: Variant[] = [
  { label: 'loopscope', server: 'loopscope' },
  { label: 'baseline', server: 'baseline' },
  { label: 'tornado', server: 'tornado' },
];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 100 ms until it holds or `ms` pass; true if it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

/**
 * A fresh generator for one measurement, always closed afterwards (no orphan clients). `processes`
 * as in startLoadGenerator: a number shares clients evenly for CPU, 'auto' only adds processes for fds.
 */
export async function withGenerator<T>(
  url: string,
  fn: (g: LoadController, health: GeneratorWatch) => Promise<T>,
  processes: number | 'auto' = 'auto',
): Promise<T> {
  const generator = await startLoadGenerator({ target: url, reportIntervalMs: 250, processes });
  const health = new GeneratorWatch(generator);
  try {
    return await fn(generator, health);
  } finally {
    health.stop();
    await generator.close();
  }
}

/**
 * The generator's own event-loop p99 while measuring: when it is high, latencies include the
 * client's delay, not only the server's, and the table says so.
 */
export class GeneratorWatch {
  worstLoopP99Ms = 0;
  warning: string | null = null;
  private readonly off: () => void;

  constructor(g: LoadController) {
    this.off = g.onReport((r) => {
      this.worstLoopP99Ms = Math.max(this.worstLoopP99Ms, r.generator.eventLoopP99Ms);
      this.warning = r.generator.warning ?? this.warning;
    });
  }

  /** Forget what came before (connecting is not measuring). */
  reset(): void {
    this.worstLoopP99Ms = 0;
    this.warning = null;
  }

  stop(): void {
    this.off();
  }
}

export function kindOf(report: LoadReport | null, kind: ClientKind): KindReport | null {
  return report?.kinds[kind] ?? null;
}

export function failureCount(k: KindReport | null): number {
  return k ? Object.values(k.failures).reduce((a, b) => a + b, 0) : 0;
}

export interface ServerStats {
  connections?: Partial<Record<'wsPrime' | 'wsFeed' | 'sse' | 'longPoll', number>>;
  eventLoop?: { p99Ms?: number; maxMs?: number };
}

export async function serverStats(url: string): Promise<ServerStats> {
  const res = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /stats answered ${res.status}`);
  return (await res.json()) as ServerStats;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}
