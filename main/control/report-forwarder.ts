/**
 * The load generator's reports on their way to the renderer: every window received since the last
 * forward reaches it, joined into one loadReport event, and the generator's own saturation warning
 * is told once per episode.
 *
 * Plain Node: never imports electron.
 */
import type { LoadReport } from '../../common/load';
import { ReportWindows } from '../../common/report-windows';
import type { EventHub } from './event-hub';

/** After Stop all, the generator's own saturation (closing every socket) is not warned about for this long. */
const STOP_ALL_QUIET_MS = 5_000;

export class ReportForwarder {
  /** The newest report as it came (not joined): restarts count the clients from it. */
  latest: LoadReport | null = null;
  /** The windows reported since the last forward: every one reaches the renderer, joined. */
  private readonly unforwarded = new ReportWindows();
  private lastWarning: string | null = null;
  /** Closing every client keeps the generator busy for a moment: not a saturation to warn about. */
  private warningQuietUntil = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly hub: EventHub,
    /** The feed publish rate in force, sent along with each report. */
    private readonly publishRatePerS: () => number,
    everyMs: number,
  ) {
    // One timer for the whole app: the renderer's event rate never depends on the client count.
    this.timer = setInterval(() => this.forward(), everyMs);
    this.timer.unref();
  }

  add(report: LoadReport): void {
    this.latest = report;
    this.unforwarded.add(report);
  }

  /** For as long as every client is being closed (no end known yet). */
  muteWarnings(): void {
    this.warningQuietUntil = Infinity;
  }

  /** The closing is done: its aftermath still keeps the generator busy for a while. */
  unmuteWarningsLater(): void {
    this.warningQuietUntil = Date.now() + STOP_ALL_QUIET_MS;
  }

  /** The latest report's warning was already told some other way (the generator's death). */
  warningTold(): void {
    this.lastWarning = this.latest?.generator.warning ?? null;
  }

  forward(): void {
    const report = this.unforwarded.take();
    if (!report) return;
    this.hub.emit('loadReport', { ...report, publishRatePerS: this.publishRatePerS() });
    // Said once when the generator becomes the bottleneck, not again for every changed figure; and
    // only while it has clients whose figures it could skew (stopping them all is busy, not a problem).
    const hasClients = Object.values(report.kinds).some((k) => k.active > 0 || k.pending > 0);
    const quiet = Date.now() < this.warningQuietUntil;
    const warning = hasClients && !quiet ? report.generator.warning : null;
    if (warning && this.lastWarning === null) this.hub.notice('warn', 'generator_warning', warning);
    this.lastWarning = warning;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
