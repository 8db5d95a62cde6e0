/**
 * docs/protocol.md §12 under `--workers N`: each process diagnoses itself and numbers its episodes
 * from 1; the dashboard needs one sequence. The primary renumbers each worker's openings and
 * closings as they arrive with its snapshots, says whose each is, and hands them out once, with
 * the next combined snapshot.
 */
import type { Diagnosis } from '../../../common/diagnosis';

export class WorkerEpisodes {
  private nextId = 1;
  /** `worker:own id` → the primary's id, while the episode is open. */
  private readonly ids = new Map<string, number>();
  private pending: Diagnosis[] = [];

  add(worker: number, episodes: readonly Diagnosis[] | undefined): void {
    for (const d of episodes ?? []) {
      const key = `${worker}:${d.id}`;
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.nextId++;
        this.ids.set(key, id);
      }
      if (d.endedAt !== null) this.ids.delete(key);
      this.pending.push({ ...d, id, summary: `worker ${worker}: ${d.summary}` });
    }
  }

  /** The openings and closings since the last take, in the order they arrived. */
  take(): Diagnosis[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
