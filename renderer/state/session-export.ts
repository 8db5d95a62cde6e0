/**
 * The session export (CSV and JSON): every sample row, with what a reader needs to make sense of
 * it later — when and where it was recorded (time zone, version, server and target), the stalls
 * and the bcrypt runs beside the rows they fell in — and nothing that is always empty.
 */
import { culpritFrame, frameText, stackText, type Stall } from '../../common/stalls';
import type { BcryptRun } from '../charts/bcrypt-markers';
import { PROCESS_COLUMNS } from './process-slots';
import { SAMPLE_COLUMNS, type SampleColumn, type SampleStore } from './samples';

/** Facts about the recording, written once at the top (CSV comment lines, JSON `meta`). */
export type SessionMeta = Record<string, string | number | null>;

export interface SessionEvents {
  stalls: readonly Stall[];
  bcryptRuns: readonly BcryptRun[];
}

/** Decimals kept: µs for ms figures, 0.1 % for a 0..1 ratio; more is noise from the float sums. */
const DECIMALS = 3;

export function rounded(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toFixed(DECIMALS)) : null;
}

/** The engine-wide columns, and a process column only when some row holds a value in it. */
function usedColumns(store: SampleStore): SampleColumn[] {
  const ring = store.ring;
  const processColumns = new Set<SampleColumn>(PROCESS_COLUMNS);
  return SAMPLE_COLUMNS.filter((c) => {
    if (!processColumns.has(c)) return true;
    for (let i = 0; i < ring.size; i++) if (Number.isFinite(ring.at(c, i))) return true;
    return false;
  });
}

const runText = (r: BcryptRun): string => `${r.mode} c${r.cost} ${Math.round(r.end - r.start)} ms`;

/** The row each event began in: the first sample ending at or after it (the last row for later ones). */
function byRow<T>(store: SampleStore, events: readonly T[], time: (e: T) => number): Map<number, T[]> {
  const rows = new Map<number, T[]>();
  const size = store.ring.size;
  if (size === 0) return rows;
  for (const e of events) {
    const row = Math.min(store.ring.lowerBound('time', time(e)), size - 1);
    rows.set(row, [...(rows.get(row) ?? []), e]);
  }
  return rows;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function sessionCsv(store: SampleStore, meta: SessionMeta, events: SessionEvents): string {
  const ring = store.ring;
  const columns = usedColumns(store);
  const stalls = byRow(store, events.stalls, (s) => s.startedAt);
  const runs = byRow(store, events.bcryptRuns, (r) => r.start);
  const lines = Object.entries(meta).map(([key, value]) => `# ${key}: ${value ?? ''}`);
  lines.push(
    '# stalls, stall_worst_ms, stall_blockers and bcrypt_runs: those that began during the sample',
    ['time_iso', ...columns, 'stalls', 'stall_worst_ms', 'stall_blockers', 'bcrypt_runs'].join(','),
  );
  for (let i = 0; i < ring.size; i++) {
    const cells = columns.map((c) => String(rounded(ring.at(c, i)) ?? ''));
    const rowStalls = stalls.get(i) ?? [];
    const worst = rowStalls.length ? Math.max(...rowStalls.map((s) => s.durationMs)) : null;
    lines.push(
      [
        new Date(ring.at('time', i)).toISOString(),
        ...cells,
        String(rowStalls.length),
        worst === null ? '' : String(rounded(worst)),
        csvCell(rowStalls.map((s) => frameText(culpritFrame(s))).join(' | ')),
        csvCell((runs.get(i) ?? []).map(runText).join('; ')),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function sessionJson(store: SampleStore, meta: SessionMeta, events: SessionEvents): string {
  const ring = store.ring;
  const columns = usedColumns(store);
  const samples: Record<string, number | null>[] = [];
  for (let i = 0; i < ring.size; i++) {
    samples.push(Object.fromEntries(columns.map((c) => [c, rounded(ring.at(c, i))])));
  }
  return JSON.stringify(
    {
      meta,
      columns,
      samples,
      stalls: events.stalls.map((s) => ({
        startedAt: new Date(s.startedAt).toISOString(),
        durationMs: rounded(s.durationMs),
        process: s.process,
        blocker: frameText(culpritFrame(s)),
        stackFrom: s.stackFrom,
        stack: stackText(s),
      })),
      bcryptRuns: events.bcryptRuns.map((r) => ({
        start: new Date(r.start).toISOString(),
        end: new Date(r.end).toISOString(),
        mode: r.mode,
        cost: r.cost,
        ms: Math.round(r.end - r.start),
      })),
    },
    null,
    1,
  );
}
