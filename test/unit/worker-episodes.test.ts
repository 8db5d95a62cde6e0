/** §12 under --workers: each worker's episodes renumbered into one sequence, said whose they are. */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../common/diagnosis';
import { WorkerEpisodes } from '../../main/engine/cluster/worker-episodes';

const ep = (id: number, endedAt: number | null, cause: Diagnosis['cause'] = 'loop'): Diagnosis => ({
  type: 'diagnosis',
  id,
  startedAt: 1000,
  endedAt,
  cause,
  summary: `${cause} ${id}`,
  evidence: {},
  culprit: {},
});

describe('WorkerEpisodes', () => {
  it("gives two workers' episode 1 two ids, keeps an id from opening to closing, and hands each out once", () => {
    const w = new WorkerEpisodes();
    w.add(1, [ep(1, null)]);
    w.add(2, [ep(1, null, 'upstream')]);
    expect(w.take().map((d) => [d.id, d.endedAt, d.summary])).toEqual([
      [1, null, 'worker 1: loop 1'],
      [2, null, 'worker 2: upstream 1'],
    ]);
    expect(w.take()).toEqual([]);
    w.add(2, [ep(1, 5000, 'upstream')]);
    w.add(1, undefined);
    w.add(1, [ep(1, 6000), ep(2, null)]);
    expect(w.take().map((d) => [d.id, d.endedAt])).toEqual([
      [2, 5000],
      [1, 6000],
      [3, null],
    ]);
  });
});
