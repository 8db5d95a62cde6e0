/**
 * docs/protocol.md §12's rules for episodes, as one pure state machine fed a sample at a time: an
 * episode opens when its cause's signal holds in a sample and clients are affected (request p99
 * over SLOW_REQUEST_MS), or at once when the signal itself is serious (a stall); it closes after
 * CLOSE_AFTER_QUIET samples without its signal. One open episode per cause; while it lasts it shows
 * the figures of its worst sample. The list keeps the
 * latest MAX_LISTED entries, newest last, an episode listed again (same id) when it closes.
 */
import type { Diagnosis, DiagnosisCause } from '../../common/diagnosis';

/** A request slower than this is a client kept waiting (§12's default slow threshold). */
export const SLOW_REQUEST_MS = 200;
const CLOSE_AFTER_QUIET = 3;
const MAX_LISTED = 100;

/** What one sample says of one cause. */
export interface Signal {
  cause: DiagnosisCause;
  /** Serious enough to open an episode whether or not clients were seen waiting. */
  serious: boolean;
  /** How much waiting it explains (ms): the open episodes are ordered by it. */
  waitMs: number;
  summary: string;
  evidence: Diagnosis['evidence'];
  culprit: Diagnosis['culprit'];
}

interface Open {
  diagnosis: Diagnosis;
  quiet: number;
  /** The latest sample's, which orders the open episodes. */
  waitMs: number;
  peakWaitMs: number;
}

export class Episodes {
  private nextId = 1;
  private readonly open = new Map<DiagnosisCause, Open>();
  private readonly listed: Diagnosis[] = [];

  /** `onEvent` hears each opening and each closing (the attach stream's lines). */
  constructor(private readonly onEvent: (d: Diagnosis) => void = () => undefined) {}

  /** One sample at `time` (epoch ms): the signals it showed, and whether clients waited. */
  sample(time: number, signals: readonly Signal[], affected: boolean): void {
    const seen = new Set<DiagnosisCause>();
    for (const s of signals) {
      seen.add(s.cause);
      const running = this.open.get(s.cause);
      if (running) {
        // Still going: it keeps the figures of its worst sample (the tail of a burst says less).
        running.quiet = 0;
        running.waitMs = s.waitMs;
        if (s.waitMs >= running.peakWaitMs) {
          running.peakWaitMs = s.waitMs;
          Object.assign(running.diagnosis, { summary: s.summary, evidence: s.evidence, culprit: s.culprit });
        }
        continue;
      }
      if (!affected && !s.serious) continue;
      const diagnosis: Diagnosis = {
        type: 'diagnosis',
        id: this.nextId++,
        startedAt: time,
        endedAt: null,
        cause: s.cause,
        summary: s.summary,
        evidence: s.evidence,
        culprit: s.culprit,
      };
      this.open.set(s.cause, { diagnosis, quiet: 0, waitMs: s.waitMs, peakWaitMs: s.waitMs });
      this.list(diagnosis);
    }
    for (const [cause, running] of this.open) {
      if (seen.has(cause) || ++running.quiet < CLOSE_AFTER_QUIET) continue;
      this.open.delete(cause);
      this.list({ ...running.diagnosis, endedAt: time });
    }
  }

  /** Closes every open episode at `time` (the watch ends: nothing more will be seen of them). */
  closeAll(time: number): void {
    for (const running of this.open.values()) this.list({ ...running.diagnosis, endedAt: time });
    this.open.clear();
  }

  /** Listed entries with an id over `since`, newest last. */
  since(since: number): Diagnosis[] {
    return this.listed.filter((d) => d.id > since).map((d) => ({ ...d }));
  }

  /** The open episodes, the one that explains the most waiting first. */
  openNow(): Diagnosis[] {
    return [...this.open.values()].sort((a, b) => b.waitMs - a.waitMs).map((o) => ({ ...o.diagnosis }));
  }

  private list(d: Diagnosis): void {
    // The open entry is listed as it was when it opened; its closing is listed with its last figures.
    const entry = { ...d };
    this.listed.push(entry);
    if (this.listed.length > MAX_LISTED) this.listed.shift();
    this.onEvent(entry);
  }
}
