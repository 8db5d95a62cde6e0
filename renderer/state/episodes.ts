/**
 * The "Why clients wait" episodes a page holds (docs/protocol.md §12): each arrives once when it
 * opens (`endedAt` null) and again, same id, when it closes; the second replaces the first. Pure
 * and bounded: the newest EPISODES_MAX are kept, an open one before any closed one.
 */
import type { Diagnosis } from '../../common/diagnosis';

export const EPISODES_MAX = 50;

/**
 * Ids count from 1 again when the demo server restarts: an episode is the same one only with the
 * same id and the same start.
 */
const keyOf = (d: Diagnosis): string => `${d.id}@${d.startedAt}`;

export class EpisodeStore {
  /** Insertion order is the order the episodes opened in. */
  private readonly byKey = new Map<string, Diagnosis>();

  constructor(private readonly max = EPISODES_MAX) {}

  /** Takes the episodes of one window; true when what the page shows changed. */
  take(list: readonly Diagnosis[] | undefined): boolean {
    let changed = false;
    for (const d of list ?? []) {
      const key = keyOf(d);
      const held = this.byKey.get(key);
      // A closed episode stays closed: a late copy of its opening does not reopen it.
      if (held && (held.endedAt !== null || d.endedAt === null)) continue;
      this.byKey.set(key, d);
      changed = true;
    }
    while (this.byKey.size > this.max) {
      const oldest = [...this.byKey].find(([, d]) => d.endedAt !== null) ?? [...this.byKey][0]!;
      this.byKey.delete(oldest[0]);
    }
    return changed;
  }

  /** Newest first. */
  list(): Diagnosis[] {
    return [...this.byKey.values()].reverse();
  }

  open(): Diagnosis[] {
    return this.list().filter((d) => d.endedAt === null);
  }

  clear(): void {
    this.byKey.clear();
  }
}
