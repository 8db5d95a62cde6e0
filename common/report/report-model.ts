/**
 * A recording turned into what the report shows: chart series over seconds from the run's start,
 * headline figures, stalls, episodes, integrity and the verdict. Pure (no Node, no DOM), so one
 * recording gives the same figures in a report, a compare and a test.
 */
import { FEED_KINDS, type ClientKind, type KindReport, type LatencySummary } from '../load';
import type { Recording, RecordingMeta } from '../recording';
import { culpritFrame, frameText, type Stall } from '../stalls';
import type { CpuProfile } from '../cpuprofile';
import type { Diagnosis } from '../diagnosis';
import type { EngineSnapshot } from '../snapshot';

export type Point = [seconds: number, value: number];

export interface ReportSeries {
  label: string;
  points: Point[];
}

export interface ReportChart {
  id: string;
  title: string;
  unit: string;
  series: ReportSeries[];
  /** Why the chart is empty, when it is (e.g. the target served no /stats). */
  empty: string;
}

export interface ReportStall {
  id: number;
  atS: number;
  durationMs: number;
  /** `function file:line` of the frame the stall is named by. */
  culprit: string;
  stack: string[];
  profile: CpuProfile | null;
}

export interface ReportEpisode {
  cause: string;
  summary: string;
  atS: number;
  endS: number | null;
  evidence: Record<string, unknown>;
  culprit: Record<string, unknown>;
}

export interface Headline {
  key: string;
  label: string;
  unit: string;
  value: number | null;
  /** Which way is better, for the compare's change column. */
  better: 'lower' | 'higher';
}

export interface IntegrityRow {
  kind: string;
  wrong: number;
  missing: number;
  duplicated: number;
  outOfOrder: number;
  expiredLost: number;
  failures: Record<string, number>;
}

export interface ReportRun {
  name: string;
  meta: RecordingMeta;
  durationS: number;
  verdict: {
    ok: boolean | null;
    note: string | null;
    thresholds: { name: string; limit: number; value: number; ok: boolean }[];
  };
  charts: ReportChart[];
  headlines: Headline[];
  stalls: ReportStall[];
  episodes: ReportEpisode[];
  integrity: IntegrityRow[];
  markers: { atS: number; endS: number | null; label: string }[];
}

const KIND_LABELS: Record<ClientKind, string> = {
  'ws-prime': 'WS prime',
  'ws-feed': 'WS feed',
  sse: 'SSE',
  'long-poll': 'long poll',
  http: 'HTTP',
  'ws-echo': 'WS echo',
  publisher: 'publisher',
  'job-producer': 'job producer',
};

const label = (kind: string): string => KIND_LABELS[kind as ClientKind] ?? kind;
const round = (v: number, d = 1): number => Number(v.toFixed(d));

/** The kinds that did anything in the run, in the order the generator lists them. */
function kindsUsed(rec: Recording): KindReport[] {
  const last = rec.summary?.report ?? rec.windows.at(-1)?.report;
  if (!last) return [];
  return Object.values(last.kinds).filter((k) => k.opened > 0 || k.sent > 0 || k.received > 0);
}

function seriesOf<T>(
  rows: readonly { time: number; v: T }[],
  t0: number,
  pick: (v: T) => number | null,
): Point[] {
  const out: Point[] = [];
  for (const r of rows) {
    const y = pick(r.v);
    if (y !== null && Number.isFinite(y)) out.push([round((r.time - t0) / 1000, 2), round(y, 2)]);
  }
  return out;
}

const latency = (l: LatencySummary | undefined, key: 'p50Ms' | 'p99Ms' | 'maxMs'): number | null =>
  l && l.count > 0 ? l[key] : null;

function charts(rec: Recording, t0: number): ReportChart[] {
  const windows = rec.windows.map((w) => ({ time: w.time, v: w.report }));
  const samples = rec.samples.map((s) => ({ time: s.time, v: s.snapshot }));
  const kinds = kindsUsed(rec);
  const noServer = 'The target served no GET /stats: its own figures are not in this recording.';
  const noClients = 'No load-generator windows in this recording.';
  const server = (
    title: string,
    id: string,
    unit: string,
    lines: [string, (s: EngineSnapshot) => number | null][],
  ) => ({
    id,
    title,
    unit,
    series: lines.map(([name, pick]) => ({ label: name, points: seriesOf(samples, t0, pick) })),
    empty: samples.length === 0 ? noServer : '',
  });
  const feed = kinds.filter((k) => (FEED_KINDS as readonly string[]).includes(k.kind));
  return [
    {
      id: 'rtt',
      title: 'Client round trip',
      unit: 'ms',
      series: kinds
        .filter((k) => k.received > 0)
        .flatMap((k) => [
          {
            label: `${label(k.kind)} p50`,
            points: seriesOf(windows, t0, (r) => latency(r.kinds[k.kind]?.rtt, 'p50Ms')),
          },
          {
            label: `${label(k.kind)} p99`,
            points: seriesOf(windows, t0, (r) => latency(r.kinds[k.kind]?.rtt, 'p99Ms')),
          },
        ]),
      empty: windows.length === 0 ? noClients : '',
    },
    {
      id: 'delivery',
      title: 'Feed delivery (publish to client)',
      unit: 'ms',
      series: feed.flatMap((k) => [
        {
          label: `${label(k.kind)} p50`,
          points: seriesOf(windows, t0, (r) => latency(r.kinds[k.kind]?.delivery, 'p50Ms')),
        },
        {
          label: `${label(k.kind)} p99`,
          points: seriesOf(windows, t0, (r) => latency(r.kinds[k.kind]?.delivery, 'p99Ms')),
        },
      ]),
      empty: feed.length === 0 ? 'No feed followers in this run.' : '',
    },
    server('Server event-loop delay', 'loop', 'ms', [
      ['p50', (s) => s.eventLoop.p50Ms],
      ['p99', (s) => s.eventLoop.p99Ms],
      ['max', (s) => s.eventLoop.maxMs],
    ]),
    samples.length > 0
      ? server('Server connections', 'connections', 'open', [
          ['WS prime', (s) => s.connections.wsPrime],
          ['WS feed', (s) => s.connections.wsFeed],
          ['SSE', (s) => s.connections.sse],
          ['long poll', (s) => s.connections.longPoll],
          ['HTTP', (s) => s.connections.http],
        ])
      : {
          id: 'connections',
          title: 'Client connections',
          unit: 'open',
          series: kinds.map((k) => ({
            label: label(k.kind),
            points: seriesOf(windows, t0, (r) => r.kinds[k.kind]?.active ?? null),
          })),
          empty: windows.length === 0 ? noClients : '',
        },
    {
      id: 'throughput',
      title: 'Throughput (replies received by the clients)',
      unit: '/s',
      series: kinds
        .filter((k) => k.received > 0)
        .map((k) => ({
          label: label(k.kind),
          points: seriesOf(windows, t0, (r) => r.kinds[k.kind]?.receivedPerS ?? null),
        })),
      empty: windows.length === 0 ? noClients : '',
    },
    server('Server job queue', 'queue', 'jobs', [
      ['depth', (s) => s.queue.depth],
      ['busy workers', (s) => s.queue.busy],
    ]),
  ];
}

function stalls(rec: Recording, t0: number): ReportStall[] {
  const byId = new Map<number, { stall: Stall; profile: CpuProfile | null }>();
  for (const s of rec.stalls) byId.set(s.stall.id, { stall: s.stall, profile: s.profile });
  return [...byId.values()].map(({ stall, profile }) => ({
    id: stall.id,
    atS: round((stall.startedAt - t0) / 1000, 2),
    durationMs: round(stall.durationMs),
    culprit: frameText(culpritFrame(stall)),
    stack: stall.frames.map((f) => frameText(f)),
    profile,
  }));
}

function episodes(list: readonly Diagnosis[], t0: number): ReportEpisode[] {
  return list.map((d) => ({
    cause: d.cause,
    summary: d.summary,
    atS: round((d.startedAt - t0) / 1000, 2),
    endS: d.endedAt === null ? null : round((d.endedAt - t0) / 1000, 2),
    evidence: d.evidence,
    culprit: d.culprit,
  }));
}

function headlines(rec: Recording, durationS: number): Headline[] {
  const final = rec.summary?.report ?? rec.windows.at(-1)?.report ?? null;
  const out: Headline[] = [];
  if (!final) return out;
  const kinds = Object.values(final.kinds).filter((k) => k.received > 0);
  for (const k of kinds) {
    const rtt = k.cumulative?.rtt ?? k.rtt;
    for (const [key, name] of [
      ['p50Ms', 'p50'],
      ['p99Ms', 'p99'],
      ['maxMs', 'max'],
    ] as const)
      out.push({
        key: `rtt-${k.kind}-${name}`,
        label: `${label(k.kind)} round trip ${name}`,
        unit: 'ms',
        value: latency(rtt, key),
        better: 'lower',
      });
    if ((FEED_KINDS as readonly string[]).includes(k.kind)) {
      const d = k.cumulative?.delivery ?? k.delivery;
      for (const [key, name] of [
        ['p50Ms', 'p50'],
        ['p99Ms', 'p99'],
      ] as const)
        out.push({
          key: `delivery-${k.kind}-${name}`,
          label: `${label(k.kind)} delivery ${name}`,
          unit: 'ms',
          value: latency(d, key),
          better: 'lower',
        });
    }
    out.push({
      key: `throughput-${k.kind}`,
      label: `${label(k.kind)} replies per second`,
      unit: '/s',
      value: durationS > 0 ? round(k.received / durationS) : null,
      better: 'higher',
    });
  }
  const failures = Object.values(final.kinds).reduce(
    (t, k) => t + Object.values(k.failures).reduce((a, b) => a + b, 0),
    0,
  );
  out.push({ key: 'failures', label: 'failures (all kinds)', unit: '', value: failures, better: 'lower' });
  return out;
}

/** Stalls counted by the function they are named by, for the compare's table. */
export function stallsByFunction(run: ReportRun): Map<string, { count: number; totalMs: number }> {
  const out = new Map<string, { count: number; totalMs: number }>();
  for (const s of run.stalls) {
    const e = out.get(s.culprit) ?? { count: 0, totalMs: 0 };
    e.count++;
    e.totalMs = round(e.totalMs + s.durationMs);
    out.set(s.culprit, e);
  }
  return out;
}

export function reportModel(name: string, rec: Recording): ReportRun {
  const t0 = rec.meta.startedAt;
  const last = Math.max(
    t0,
    rec.summary?.time ?? 0,
    rec.windows.at(-1)?.time ?? 0,
    rec.samples.at(-1)?.time ?? 0,
  );
  const durationS = round((last - t0) / 1000);
  const final = rec.summary?.report ?? rec.windows.at(-1)?.report ?? null;
  return {
    name,
    meta: rec.meta,
    durationS,
    verdict: {
      ok: rec.summary ? rec.summary.ok : null,
      note: rec.summary ? rec.summary.note : 'The recording has no summary: the run did not end cleanly.',
      thresholds: rec.thresholds?.results ?? [],
    },
    charts: charts(rec, t0),
    headlines: headlines(rec, rec.windows.length > 0 ? durationS : 0),
    stalls: stalls(rec, t0),
    episodes: episodes(
      rec.diagnoses.map((d) => d.diagnosis),
      t0,
    ),
    integrity: final
      ? Object.values(final.kinds)
          .filter((k) => k.opened > 0 || k.sent > 0 || Object.keys(k.failures).length > 0)
          .map((k) => ({ kind: label(k.kind), ...k.integrity, failures: k.failures }))
      : [],
    markers: rec.markers.map((m) => ({
      atS: round((m.time - t0) / 1000, 2),
      endS: m.endTime === null ? null : round((m.endTime - t0) / 1000, 2),
      label: m.label,
    })),
  };
}
