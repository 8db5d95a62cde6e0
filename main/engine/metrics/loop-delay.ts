/**
 * Event-loop delay per sampling window. A timer due every `resolutionMs` records how late it
 * fires into an HDR histogram (perf_hooks.createHistogram); each window reads p50/p99/max and
 * resets it.
 *
 * Why not perf_hooks.monitorEventLoopDelay with reset(): its reset() also forgets when the timer
 * last fired, so the one interval spanning a reset is never recorded. A stall that ends right
 * around a window boundary (bcrypt on the loop, say) would then vanish from both windows about
 * half the time. Here the last firing time survives the reset, so every stall lands in a window.
 *
 * A stall is also recorded as every tick it swallowed (HdrHistogram's recordWithExpectedInterval
 * correction): one 200 ms bcrypt on a 2 ms timer is a hundred late ticks, not one. Without it a
 * single stall hides below p99 however long it is, because the ticks that did fire outnumber it —
 * coordinated omission inside the server's own gauge. With it, p99 answers "how late would work
 * arriving at a random moment of this window have started".
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export interface LoopDelayWindow {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class LoopDelayRecorder {
  private readonly histogram: RecordableHistogram = createHistogram();
  private readonly resolutionMs: number;
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();

  /**
   * `onGap` hears every gap between two ticks (ms): a process that wants no stall watchdog can
   * still count its stalls from the timer this recorder already runs.
   */
  constructor(
    resolutionMs: number,
    private readonly onGap?: (gapMs: number) => void,
  ) {
    this.resolutionMs = resolutionMs;
    this.timer = setInterval(() => this.tick(), resolutionMs);
    this.timer.unref();
  }

  /** The window since the previous take(), in ms beyond the timer's own period; then a new window. */
  take(): LoopDelayWindow {
    // Count the stall in progress too: if the loop is blocked right now, this window owns it.
    this.tick();
    const h = this.histogram;
    const late = (ns: number) => Math.max(0, ns / 1e6 - this.resolutionMs);
    const window =
      h.count > 0
        ? { p50Ms: late(h.percentile(50)), p99Ms: late(h.percentile(99)), maxMs: late(h.max) }
        : { p50Ms: 0, p99Ms: 0, maxMs: 0 };
    h.reset();
    return window;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    const elapsedNs = Math.round((now - this.last) * 1e6);
    this.last = now;
    if (elapsedNs < 1) return;
    this.onGap?.(elapsedNs / 1e6);
    this.histogram.record(elapsedNs);
    // The ticks that should have fired during the stall, each as late as it would have been.
    const periodNs = this.resolutionMs * 1e6;
    for (let missed = elapsedNs - periodNs; missed > periodNs; missed -= periodNs) {
      this.histogram.record(missed);
    }
  }
}
