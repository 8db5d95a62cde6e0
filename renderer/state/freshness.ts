/**
 * Whether the figures on screen are still live. The server's figures come with each snapshot, the
 * clients' with each load report; when either stream stops (the app's loop hangs, the generator
 * process dies) the last figures stay on screen, so they must be marked stale until fresh data
 * arrives — a frozen number that looks live is a lie.
 */

/** Silence, in sampling intervals, before the server's figures are stale (a long bcrypt stall is not). */
const SNAPSHOT_PERIODS = 3;
/** Never less than this: a loaded machine delays snapshots now and then, and a new, longer interval starts late. */
const MIN_SILENCE_MS = 8_000;
/** The generator reports every 250 ms and the app forwards them at least every 500 ms. */
const REPORT_SILENCE_MS = 5_000;

export interface Freshness {
  server: boolean;
  clients: boolean;
}

export class FreshnessWatch {
  private lastSnapshotAt = -Infinity;
  private lastReportAt = -Infinity;
  /** Set when the app says the generator died; cleared by the next report (a new generator). */
  private generatorGone = false;

  snapshot(now: number): void {
    this.lastSnapshotAt = now;
  }

  report(now: number): void {
    this.lastReportAt = now;
    this.generatorGone = false;
  }

  generatorDied(): void {
    this.generatorGone = true;
  }

  /**
   * Before the first snapshot or report nothing is stale: there is nothing on screen yet. Clients
   * are only judged once a generator has reported (it starts with the first load command).
   */
  state(now: number, sampleIntervalMs: number): Freshness {
    const serverSilence = Math.max(MIN_SILENCE_MS, SNAPSHOT_PERIODS * sampleIntervalMs);
    const server = this.lastSnapshotAt === -Infinity || now - this.lastSnapshotAt <= serverSilence;
    const reported = this.lastReportAt !== -Infinity;
    const clients = !this.generatorGone && (!reported || now - this.lastReportAt <= REPORT_SILENCE_MS);
    return { server, clients };
  }
}
