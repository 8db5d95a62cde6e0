/**
 * The stall explorer, published for attach (docs/protocol.md §11) under
 * `globalThis[Symbol.for('loopscope.stalls')]`, in the process it watches.
 *
 * Why: a process that runs the explorer already has an inspector session pausing and profiling
 * its loop. A second debugger client doing the same (attach) made two profilers, whose native
 * memory grew on every attach (issue 24 C), and two pausers: a pause from one served inside the
 * other's evaluation hangs Node for good (issue 24 A). So attach finds this object and only
 * reads: the explorer's stalls (`next`) and its own sampler. While attach holds it (`hold`), the
 * explorer sends no `Debugger.pause` of its own: its verdicts then come from the profile alone,
 * and nothing can pause inside attach's evaluations.
 *
 * The hold is a lease counted in turns of the loop (heartbeats), not in wall time: a long stall
 * must not end it, an attach that vanished (SIGKILL) must. Attach renews it with every read.
 */
import type { CpuProfile } from '../../common/cpuprofile';
import type { Stall } from '../../common/stalls';

export const PUBLISHED_KEY = 'loopscope.stalls';
/** Heartbeats without a renewal after which a hold lapses: 10 s of a running loop at 5 ms. */
export const HOLD_BEATS = 2_000;
/** Stalls kept for a reader that fell behind. */
const KEPT = 100;

export interface PublishedStall {
  id: number;
  stall: Omit<Stall, 'id'>;
  /** The stall's own samples (docs/protocol.md §9); absent from an explorer older than the field. */
  profile?: CpuProfile;
}

/** The shape attach's installed code relies on; version bumps when it changes. */
export interface PublishedExplorer {
  version: 1;
  /** Holds the explorer's pauses and asks it to watch at `thresholdMs` or lower; renews the lease. */
  hold(thresholdMs: number): void;
  release(): void;
  /** Stalls with an id above `afterId`, at once when there are any, else when the next one comes. */
  next(afterId: number): Promise<PublishedStall[]>;
  /** Answers every pending `next` with none, so no awaited evaluation outlives a detach. */
  cancel(): void;
}

export interface PublishOptions {
  /** The hold started (a threshold) or ended (null). */
  onHold(thresholdMs: number | null): void;
}

export class ExplorerPublication {
  private readonly kept: PublishedStall[] = [];
  private lastId = 0;
  private waiters: Array<(s: PublishedStall[]) => void> = [];
  private heldFor = 0;
  private beatsSinceRenewal = 0;
  private readonly key = Symbol.for(PUBLISHED_KEY);
  readonly api: PublishedExplorer;

  constructor(private readonly opts: PublishOptions) {
    this.api = {
      version: 1,
      hold: (thresholdMs) => this.hold(thresholdMs),
      release: () => this.release(),
      next: (afterId) => this.next(afterId),
      cancel: () => this.cancel(),
    };
    (globalThis as Record<symbol, unknown>)[this.key] = this.api;
  }

  get held(): boolean {
    return this.heldFor > 0;
  }

  add(stall: Omit<Stall, 'id'>, profile?: CpuProfile): void {
    const entry: PublishedStall = { id: ++this.lastId, stall, ...(profile ? { profile } : {}) };
    this.kept.push(entry);
    if (this.kept.length > KEPT) this.kept.shift();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w([entry]);
  }

  /** Called on every heartbeat: a hold nobody renewed for HOLD_BEATS turns of the loop lapses. */
  beat(): void {
    if (this.heldFor > 0 && ++this.beatsSinceRenewal > HOLD_BEATS) this.release();
  }

  unpublish(): void {
    this.cancel();
    const g = globalThis as Record<symbol, unknown>;
    if (g[this.key] === this.api) delete g[this.key];
  }

  private hold(thresholdMs: number): void {
    if (!Number.isFinite(thresholdMs) || thresholdMs <= 0) return;
    this.beatsSinceRenewal = 0;
    if (this.heldFor === thresholdMs) return;
    this.heldFor = thresholdMs;
    this.opts.onHold(thresholdMs);
  }

  private release(): void {
    if (this.heldFor === 0) return;
    this.heldFor = 0;
    this.opts.onHold(null);
  }

  private next(afterId: number): Promise<PublishedStall[]> {
    const newer = this.kept.filter((s) => s.id > afterId);
    if (newer.length > 0) return Promise.resolve(newer);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private cancel(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w([]);
  }
}
