/**
 * An episode of docs/protocol.md §12 in words, for the "Why clients wait" panel: its cause as a
 * short label, its key figures, what is behind it, how long it lasted. Pure, so a table tests it.
 */
import type { Diagnosis, DiagnosisCause } from '../../common/diagnosis';
import { fmt } from '../../common/format';
import { frameText } from '../../common/stalls';

export const CAUSE_LABELS: Record<DiagnosisCause, string> = {
  loop: 'Loop blocked',
  gc: 'Garbage collection',
  threadpool: 'Threadpool full',
  upstream: 'Slow upstream',
  cpu: 'CPU starved',
  memory: 'Heap growing',
};

const MB = 1024 * 1024;
type Figure = [key: string, say: (v: number) => string];

/** The figures worth a glance, per cause, in the order read; the rest are in the summary. */
const FIGURES: Record<DiagnosisCause, Figure[]> = {
  loop: [
    ['stallMs', (v) => `${fmt(v, 0)} ms stalled`],
    ['stalls', (v) => `${fmt(v)} stall${v === 1 ? '' : 's'}`],
  ],
  gc: [
    ['gcMs', (v) => `${fmt(v, 0)} ms in GC`],
    ['gcCount', (v) => `${fmt(v)} collections`],
    ['heapUsedBytes', (v) => `heap ${fmt(v / MB, 0)} MB`],
    ['heapLimitBytes', (v) => `limit ${fmt(v / MB, 0)} MB`],
  ],
  threadpool: [
    ['poolSize', (v) => `${fmt(v)} threads`],
    ['queued', (v) => `${fmt(v)} queued`],
    ['waitMs', (v) => `waited ${fmt(v, 0)} ms`],
  ],
  upstream: [
    ['p99Ms', (v) => `p99 ${fmt(v, 0)} ms`],
    ['inFlight', (v) => `${fmt(v)} in flight`],
    ['count', (v) => `${fmt(v)} calls`],
  ],
  cpu: [
    ['cpuPercent', (v) => `CPU ${fmt(v, 0)} %`],
    ['loadAverage', (v) => `load ${fmt(v, 1)}`],
    ['cores', (v) => `${fmt(v)} cores`],
  ],
  memory: [
    ['bytesPerMin', (v) => `+${fmt(v / MB, 1)} MB/min`],
    ['heapUsedBytes', (v) => `heap ${fmt(v / MB, 0)} MB`],
    ['minutesToLimit', (v) => `limit in ~${fmt(v, 0)} min`],
  ],
};

/** "p99 612 ms · 58 in flight · 240 calls" (a string figure, such as gc's kind, as it is). */
export function evidenceText(d: Pick<Diagnosis, 'cause' | 'evidence'>): string {
  const parts: string[] = [];
  for (const [key, say] of FIGURES[d.cause]) {
    const v = d.evidence[key];
    if (typeof v === 'number' && Number.isFinite(v)) parts.push(say(v));
  }
  for (const [key, v] of Object.entries(d.evidence)) if (typeof v === 'string') parts.push(`${key} ${v}`);
  return parts.join(' · ');
}

/**
 * What is behind it: a function at its file:line as the Stalls panel names frames, an origin, a
 * pool and what waits on it; '' when the cause names nothing (cpu, memory).
 */
export function culpritText(d: Pick<Diagnosis, 'culprit'>): string {
  const c = d.culprit;
  if (typeof c.functionName === 'string' || typeof c.url === 'string') {
    return frameText({
      functionName: String(c.functionName ?? '(anonymous)') || '(anonymous)',
      url: String(c.url ?? ''),
      lineNumber: Number(c.lineNumber ?? 0),
      columnNumber: 0,
    });
  }
  if (typeof c.origin === 'string') return c.origin;
  if (typeof c.resource === 'string')
    return typeof c.pending === 'number' ? `${c.resource}, ${fmt(c.pending)} pending` : c.resource;
  return Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** "12 s", "2 min 5 s". */
export function spanText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** "lasted 8 s", or "ongoing, 12 s so far" for an open episode. */
export function durationText(d: Pick<Diagnosis, 'startedAt' | 'endedAt'>, now: number): string {
  return d.endedAt === null
    ? `ongoing, ${spanText(now - d.startedAt)} so far`
    : `lasted ${spanText(d.endedAt - d.startedAt)}`;
}
