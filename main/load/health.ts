/**
 * The generator's own health: its event-loop delay and CPU. If the generator is saturated, the
 * latencies it reports measure itself, not the server, and the report must say so.
 */
import { STALL_THRESHOLD_MS } from '../../common/limits';
import type { GeneratorStalls } from '../../common/load';
import { LoopDelayRecorder } from '../engine/metrics/loop-delay';

export const LOOP_P99_WARN_MS = 50;
export const CPU_WARN_PERCENT = 90;
/** Coarser than the server's 2 ms: the generator only needs to notice stalls that distort its timing. */
const RESOLUTION_MS = 10;

export interface HealthSample {
  eventLoopP99Ms: number;
  /** Percent of one core used by this process since the previous sample. */
  cpuPercent: number;
  warning: string | null;
}

/**
 * The generator's own stalls, counted from the gaps between the health timer's ticks: docs/protocol.md
 * §9's definition (no callback ran for longer than the threshold) without its watchdog thread,
 * debugger and always-on profiler. Those cost the generator CPU on every message and, on a loaded
 * machine, turned each scheduling delay into a paused, re-profiled loop (bench/RESULTS.md, 05:00).
 * The culprit is therefore not named (`worst` stays null).
 */
export class GapStalls {
  private count = 0;
  private totalMs = 0;
  private maxMs = 0;

  constructor(private readonly thresholdMs = STALL_THRESHOLD_MS.default!) {}

  gap(ms: number): void {
    if (ms <= this.thresholdMs) return;
    this.count++;
    this.totalMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  summary(): GeneratorStalls {
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return { count: this.count, totalMs: round(this.totalMs), maxMs: round(this.maxMs), worst: null };
  }
}

export class HealthMonitor {
  readonly stalls = new GapStalls();
  // The server's recorder: a stall spanning a report boundary is not lost, and counts every tick it swallowed.
  private readonly delay = new LoopDelayRecorder(RESOLUTION_MS, (gapMs) => this.stalls.gap(gapMs));
  private lastCpu = process.cpuUsage();
  private lastTime = performance.now();

  sample(): HealthSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallMs = Math.max(now - this.lastTime, 1);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    const eventLoopP99Ms = this.delay.take().p99Ms;
    this.lastCpu = process.cpuUsage();
    this.lastTime = now;
    return { eventLoopP99Ms, cpuPercent, warning: healthWarning(eventLoopP99Ms, cpuPercent) };
  }

  close(): void {
    this.delay.stop();
  }
}

export function healthWarning(loopP99Ms: number, cpuPercent: number): string | null {
  const reasons: string[] = [];
  if (loopP99Ms > LOOP_P99_WARN_MS)
    reasons.push(`event-loop p99 ${loopP99Ms.toFixed(0)} ms > ${LOOP_P99_WARN_MS} ms`);
  if (cpuPercent > CPU_WARN_PERCENT) reasons.push(`CPU ${cpuPercent.toFixed(0)}% > ${CPU_WARN_PERCENT}%`);
  if (reasons.length === 0) return null;
  return `load generator is saturated (${reasons.join(', ')}): latencies include its own delay; use fewer clients or more generator processes`;
}
