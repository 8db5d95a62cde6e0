/**
 * docs/protocol.md §10 on the charts: one line per server process. The sample rows keep a fixed
 * width, so each process's figures go into one of a fixed number of slot columns while it lives; a
 * replacement (a new worker id) takes a free slot. Which process a slot's values belong to, and
 * from when to when, is kept as tenures: a chart draws each tenure as its own line, so a dead
 * worker's history is never drawn under its replacement's name.
 */
import type { ProcessFigures } from '../../common/snapshot';

/** Lines per chart; the Workers control stops at the machine's cores, and this covers most. */
export const PROCESS_SLOTS = 8;

const SLOT_INDEXES = [0, 1, 2, 3, 4, 5, 6, 7] as const;
export type Slot = (typeof SLOT_INDEXES)[number];
export type ProcessColumn = `proc${Slot}_loop_p99_ms` | `proc${Slot}_connections`;

export const loopColumn = (slot: Slot): ProcessColumn => `proc${slot}_loop_p99_ms`;
export const connectionsColumn = (slot: Slot): ProcessColumn => `proc${slot}_connections`;

export const PROCESS_COLUMNS: readonly ProcessColumn[] = SLOT_INDEXES.flatMap((slot) => [
  loopColumn(slot),
  connectionsColumn(slot),
]);
export { SLOT_INDEXES };

/**
 * One process's time in one slot: rows with time in [from, to) hold its figures. `to` is null
 * while it runs, and the time of the first row without it once it has gone.
 */
export interface Tenure {
  slot: Slot;
  id: number;
  pid: number;
  from: number;
  to: number | null;
}

/** Ended tenures kept: more than the 15-minute window shows at any sensible rate of replacements. */
const MAX_ENDED_TENURES = 64;

export const tenureLabel = (t: Tenure): string =>
  `worker ${t.id} · pid ${t.pid}${t.to === null ? '' : ' (exited)'}`;

export class ProcessSlots {
  private readonly owners: (ProcessFigures | null)[] = Array.from({ length: PROCESS_SLOTS }, () => null);
  private readonly history: Tenure[] = [];

  /** Forgets every process: a recording is replayed from its start. */
  clear(): void {
    this.owners.fill(null);
    this.history.length = 0;
  }

  /**
   * Assigns slots to this snapshot's processes and writes their figures (NaN in empty slots);
   * `time` is the row's, which opens and closes tenures.
   */
  fill(
    row: Record<ProcessColumn, number>,
    processes: readonly ProcessFigures[] | undefined,
    time: number,
  ): void {
    const list = processes ?? [];
    const ids = new Set(list.map((p) => p.id));
    this.owners.forEach((owner, slot) => {
      if (owner && !ids.has(owner.id)) {
        this.owners[slot] = null;
        const tenure = this.history.find((t) => t.slot === slot && t.to === null);
        if (tenure) tenure.to = time;
      }
    });
    for (const p of list) {
      let slot = this.owners.findIndex((o) => o?.id === p.id);
      if (slot < 0) {
        slot = this.owners.indexOf(null);
        if (slot < 0) continue;
        this.history.push({ slot: slot as Slot, id: p.id, pid: p.pid, from: time, to: null });
      }
      this.owners[slot] = p;
    }
    this.forget();
    for (const slot of SLOT_INDEXES) {
      const p = this.owners[slot];
      const c = p?.connections;
      row[loopColumn(slot)] = p ? p.eventLoop.p99Ms : Number.NaN;
      row[connectionsColumn(slot)] = c ? c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http : Number.NaN;
    }
  }

  /** Every process's line still remembered, oldest first: the ended ones, then those running. */
  tenures(): readonly Tenure[] {
    return this.history;
  }

  /** The processes of the latest snapshot. */
  current(): ProcessFigures[] {
    return this.owners.filter((p): p is ProcessFigures => p !== null).sort((a, b) => a.id - b.id);
  }

  private forget(): void {
    let ended = this.history.filter((t) => t.to !== null).length;
    for (let i = 0; i < this.history.length && ended > MAX_ENDED_TENURES;) {
      if (this.history[i]!.to !== null) {
        this.history.splice(i, 1);
        ended--;
      } else i++;
    }
  }
}
