/**
 * What `load` prints: the live one-line progress, the summary table, and the thresholds judged
 * against the final report. After a warm-up the final report's sent, received and cumulative rtt
 * and delivery cover only the measurement (the generator restarted them), so --max-p99-rtt-ms
 * judges that; connections, failures and integrity count over the whole run.
 */
import { CLIENT_KINDS, type KindReport, type LoadReport } from '../../common/load';
import type { LoadCommand } from '../../common/load-commands';
import type { Plan, ThresholdName, ThresholdResult } from './load-plan';

/** What the run is doing: loading before the measurement (--warmup), or measuring. */
export type Phase = 'warm-up' | 'measuring';

export const STOPPED_IN_WARMUP = 'stopped during the warm-up: sent, recv, rtt and delivery include it';

function sum(report: LoadReport, pick: (k: KindReport) => number): number {
  return CLIENT_KINDS.reduce((total, kind) => total + pick(report.kinds[kind]), 0);
}

function failureCount(k: KindReport): number {
  return Object.values(k.failures).reduce((a, b) => a + b, 0);
}

function lostCount(k: KindReport): number {
  const i = k.integrity;
  return i.missing + i.duplicated + i.outOfOrder + i.expiredLost;
}

export function checkThresholds(report: LoadReport, thresholds: Plan['thresholds']): ThresholdResult[] {
  const values: Record<ThresholdName, number> = {
    maxWrong: sum(report, (k) => k.integrity.wrong),
    maxLost: sum(report, lostCount),
    maxP99RttMs: Math.max(
      0,
      ...CLIENT_KINDS.map((kind) => (report.kinds[kind].cumulative ?? report.kinds[kind]).rtt.p99Ms),
    ),
    maxFailures: sum(report, failureCount),
    maxPending: sum(report, (k) => k.pending),
  };
  const flags: Record<ThresholdName, string> = {
    maxWrong: '--max-wrong',
    maxLost: '--max-lost',
    maxP99RttMs: '--max-p99-rtt-ms',
    maxFailures: '--max-failures',
    maxPending: '--max-pending',
  };
  return (Object.keys(thresholds) as ThresholdName[]).map((name) => {
    const limit = thresholds[name]!;
    return { name: flags[name], limit, value: values[name], ok: values[name] <= limit };
  });
}

/**
 * Clients that never connected, and why, in one line (null when every client is up): a ramp too
 * slow for the run is the usual reason, and the plan says whether it was that.
 */
export function pendingNote(
  r: LoadReport,
  plan: Pick<Plan, 'commands' | 'durationS' | 'warmupS'>,
): string | null {
  const pendingKinds = CLIENT_KINDS.filter((kind) => r.kinds[kind].pending > 0);
  if (pendingKinds.length === 0) return null;
  const total = sum(r, (k) => k.pending);
  const ranS = plan.durationS + plan.warmupS;
  const why = pendingKinds.map((kind) => {
    const spawn = plan.commands.find(
      (c): c is Extract<LoadCommand, { type: 'spawn' }> => c.type === 'spawn' && c.kind === kind,
    );
    const pending = r.kinds[kind].pending.toLocaleString('en-US');
    const rampS = spawn?.rampPerS ? spawn.count / spawn.rampPerS : 0;
    if (!spawn || rampS <= ranS)
      return `${kind} ${pending} (still connecting or reconnecting when the run ended)`;
    return `${kind} ${pending} (the ramp had not finished: ${spawn.count.toLocaleString('en-US')} at ${spawn.rampPerS}/s takes ${Math.ceil(rampS)} s, the run lasted ${ranS} s)`;
  });
  return `never connected: ${total.toLocaleString('en-US')} client(s): ${why.join('; ')}`;
}

function used(k: KindReport): boolean {
  return k.opened > 0 || k.sent > 0 || k.received > 0 || failureCount(k) > 0 || k.active > 0 || k.pending > 0;
}

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

export function progressLine(r: LoadReport, elapsedS: number, phase: Phase = 'measuring'): string {
  const kinds = CLIENT_KINDS.filter((kind) => used(r.kinds[kind]))
    .map(
      (kind) => `${kind} ${r.kinds[kind].active}${r.kinds[kind].pending ? `+${r.kinds[kind].pending}` : ''}`,
    )
    .join(' ');
  const sent = sum(r, (k) => k.sentPerS);
  const recv = sum(r, (k) => k.receivedPerS);
  const p99 = Math.max(0, ...CLIENT_KINDS.map((kind) => r.kinds[kind].rtt.p99Ms));
  const fails = sum(r, failureCount);
  const warn = r.generator.warning ? ' ! generator saturated' : '';
  return (
    `[${elapsedS.toFixed(1)}s${phase === 'warm-up' ? ' warm-up' : ''}] ${kinds || 'no clients'} | ${sent.toFixed(0)} sent/s ${recv.toFixed(0)} recv/s` +
    ` | rtt p99 ${ms(p99)} ms | failures ${fails} | gen loop p99 ${ms(r.generator.eventLoopP99Ms)} ms` +
    ` cpu ${r.generator.cpuPercent.toFixed(0)}%${warn}`
  );
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => cell.padEnd(widths[col]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function summaryTable(
  r: LoadReport,
  run: { warmupS: number; stoppedInWarmup: boolean } = { warmupS: 0, stoppedInWarmup: false },
): string {
  const header = [
    'kind',
    'active',
    'pending',
    'opened',
    'sent',
    'recv',
    'connect p50/p99 ms',
    'rtt p50/p99/max ms',
    'delivery p50/p99 ms',
    'wrong',
    'missing',
    'dup',
    'order',
    'expired',
    'failures',
  ];
  const rows = CLIENT_KINDS.filter((kind) => used(r.kinds[kind])).map((kind) => {
    const k = r.kinds[kind];
    const rtt = (k.cumulative ?? k).rtt;
    const delivery = (k.cumulative ?? k).delivery;
    const connect = (k.cumulative ?? k).connect;
    const failures = Object.entries(k.failures)
      .map(([cause, n]) => `${cause}:${n}`)
      .join(' ');
    return [
      kind,
      String(k.active),
      String(k.pending),
      String(k.opened),
      String(k.sent),
      String(k.received),
      connect?.count ? `${ms(connect.p50Ms)}/${ms(connect.p99Ms)}` : '-',
      rtt.count ? `${ms(rtt.p50Ms)}/${ms(rtt.p99Ms)}/${ms(rtt.maxMs)}` : '-',
      delivery.count ? `${ms(delivery.p50Ms)}/${ms(delivery.p99Ms)}` : '-',
      String(k.integrity.wrong),
      String(k.integrity.missing),
      String(k.integrity.duplicated),
      String(k.integrity.outOfOrder),
      String(k.integrity.expiredLost),
      failures || '0',
    ];
  });
  if (rows.length === 0) return 'No clients ran.';
  const g = r.generator;
  const measured =
    run.warmupS === 0
      ? ''
      : run.stoppedInWarmup
        ? `\n${STOPPED_IN_WARMUP}`
        : `\nafter a ${run.warmupS} s warm-up: sent, recv, rtt and delivery cover only the time after it;` +
          ' opened, connect, failures and the integrity counts cover the whole run';
  return (
    table([header, ...rows]) +
    measured +
    `\ngenerator: ${g.processes} process(es), event-loop p99 ${ms(g.eventLoopP99Ms)} ms, cpu ${g.cpuPercent.toFixed(0)}%` +
    (g.latencyMerge === 'upperBound'
      ? "\nlatency percentiles: the largest of the processes' (an upper bound; their histograms did not all arrive)"
      : '') +
    (g.stalls
      ? `\ngenerator stalls: ${g.stalls.count}` +
        (g.stalls.count > 0
          ? ` (${ms(g.stalls.totalMs)} ms in all, worst ${ms(g.stalls.maxMs)} ms${g.stalls.worst ? ` in ${g.stalls.worst}` : '; --explain-stalls names the function'})`
          : '')
      : '') +
    (g.warning ? `\nwarning: ${g.warning}` : '')
  );
}
