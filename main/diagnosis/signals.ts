/**
 * The demo server's §12 signals from one snapshot (docs/protocol.md §12): `loop` from the stalls
 * new in the window, `upstream` from the slowest origin it waited on. Pure: the figures come in,
 * the signals go out, and test/unit/diagnosis-episodes.test.ts can feed it a table of cases.
 */
import { culpritFrame, frameText, type Stall } from '../../common/stalls';
import { GARBAGE_COLLECTOR } from '../stalls/profile';
import { SLOW_REQUEST_MS, type Signal } from './episodes';
import type { OriginWindow } from './upstream';

const ms = (n: number): string => `${Math.round(n)} ms`;

/**
 * Stalls in which the process's code was seen running: one with no frame at all (the process got
 * no CPU, or nothing could be sampled) or held by the collector says nothing of code, and is no
 * `loop` episode (§12 has `cpu` and `gc` for those).
 */
function heldByCode(stall: Stall): boolean {
  const frame = culpritFrame(stall);
  return frame !== null && frame.functionName !== GARBAGE_COLLECTOR;
}

export function loopSignal(stalls: readonly Stall[]): Signal | null {
  const recent = stalls.filter(heldByCode);
  if (recent.length === 0) return null;
  const stallMs = recent.reduce((t, s) => t + s.durationMs, 0);
  const longest = recent.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
  const frame = culpritFrame(longest);
  return {
    cause: 'loop',
    serious: true,
    waitMs: stallMs,
    summary:
      `Code held the loop: ${recent.length} stall${recent.length === 1 ? '' : 's'}, ${ms(stallMs)} in all, ` +
      `the longest ${ms(longest.durationMs)} in ${frameText(frame)}`,
    evidence: { stallMs: Math.round(stallMs * 10) / 10, stalls: recent.length },
    culprit: frame ? { functionName: frame.functionName, url: frame.url, lineNumber: frame.lineNumber } : {},
  };
}

export function upstreamSignal(origins: readonly OriginWindow[]): Signal | null {
  const slowest = origins.find((o) => o.p99Ms >= SLOW_REQUEST_MS);
  if (!slowest) return null;
  return {
    cause: 'upstream',
    serious: false,
    waitMs: slowest.p99Ms * Math.max(1, slowest.count),
    summary: `Requests wait on ${slowest.origin}: p99 ${ms(slowest.p99Ms)}, ${slowest.inFlight} in flight`,
    evidence: { p99Ms: slowest.p99Ms, inFlight: slowest.inFlight, count: slowest.count },
    culprit: { origin: slowest.origin },
  };
}
