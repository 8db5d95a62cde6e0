/**
 * docs/protocol.md §10 on the charts: one line per server process, in a fixed number of slots so a
 * sample row keeps its fixed width. A process keeps its slot for life; a replacement (a new worker
 * id) takes the first free slot, so the line that stops and the one that starts are told apart by
 * their labels (worker id and pid).
 */
import type { ProcessFigures } from '../../common/snapshot';

/** Lines per chart; the Workers control stops at the machine's cores, and this covers most. */
export const PROCESS_SLOTS = 8;

const SLOT_INDEXES = [0, 1, 2, 3, 4, 5, 6, 7] as const;
type Slot = (typeof SLOT_INDEXES)[number];
export type ProcessColumn = `proc${Slot}_loop_p99_ms` | `proc${Slot}_connections`;

export const loopColumn = (slot: Slot): ProcessColumn => `proc${slot}_loop_p99_ms`;
export const connectionsColumn = (slot: Slot): ProcessColumn => `proc${slot}_connections`;

export const PROCESS_COLUMNS: readonly ProcessColumn[] = SLOT_INDEXES.flatMap((slot) => [
  loopColumn(slot),
  connectionsColumn(slot),
]);
export { SLOT_INDEXES };

export interface SlotLabel {
  id: number;
  pid: number;
  label: string;
}

export class ProcessSlots {
  private readonly owners: (ProcessFigures | null)[] = Array.from({ length: PROCESS_SLOTS }, () => null);

  /** Assigns slots to this snapshot's processes and writes their figures (NaN in empty slots). */
  fill(row: Record<ProcessColumn, number>, processes: readonly ProcessFigures[] | undefined): void {
    const list = processes ?? [];
    const ids = new Set(list.map((p) => p.id));
    this.owners.forEach((owner, slot) => {
      if (owner && !ids.has(owner.id)) this.owners[slot] = null;
    });
    for (const p of list) {
      let slot = this.owners.findIndex((o) => o?.id === p.id);
      if (slot < 0) slot = this.owners.indexOf(null);
      if (slot >= 0) this.owners[slot] = p;
    }
    for (const slot of SLOT_INDEXES) {
      const p = this.owners[slot];
      const c = p?.connections;
      row[loopColumn(slot)] = p ? p.eventLoop.p99Ms : Number.NaN;
      row[connectionsColumn(slot)] = c ? c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http : Number.NaN;
    }
  }

  /** Who draws each slot now; null for an empty slot. */
  labels(): (SlotLabel | null)[] {
    return this.owners.map((p) =>
      p ? { id: p.id, pid: p.pid, label: `worker ${p.id} · pid ${p.pid}` } : null,
    );
  }

  /** The processes of the latest snapshot. */
  current(): ProcessFigures[] {
    return this.owners.filter((p): p is ProcessFigures => p !== null).sort((a, b) => a.id - b.id);
  }
}
