/**
 * `load`'s "why" line: when the target serves docs/protocol.md §12 (`GET /diagnosis`: Loopscope's
 * own server, or any server that speaks the protocol), the episodes its clients waited through
 * during the run. The cursor is read before the run, the episodes after it; a target without the
 * route gets no line rather than a failed run.
 */
import type { Diagnosis } from '../../common/diagnosis';

const WAIT_MS = 3_000;

async function read(target: string, since: number): Promise<Diagnosis[] | null> {
  try {
    const res = await fetch(new URL(`/diagnosis?since=${since}`, target), {
      signal: AbortSignal.timeout(WAIT_MS),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { diagnoses?: unknown };
    return Array.isArray(body.diagnoses) ? (body.diagnoses as Diagnosis[]) : null;
  } catch {
    return null;
  }
}

export interface WhyCursor {
  /** The newest episode id before the run (0 when none yet). */
  id: number;
  /** Episodes still open when the run started: the run waited through them too. */
  open: Diagnosis[];
}

/** Where the target's list stood before the run; null when the target has no §12. */
export async function diagnosisCursor(target: string): Promise<WhyCursor | null> {
  const list = await read(target, 0);
  if (list === null) return null;
  return {
    id: list.reduce((max, d) => Math.max(max, d.id), 0),
    open: lastListed(list).filter((d) => d.endedAt === null),
  };
}

/** The run's episodes, each as last listed (an episode listed open, then closed, counts once). */
export async function episodesSince(target: string, cursor: WhyCursor): Promise<Diagnosis[] | null> {
  const list = await read(target, cursor.id);
  return list === null ? null : lastListed([...cursor.open, ...list]);
}

function lastListed(list: readonly Diagnosis[]): Diagnosis[] {
  const byId = new Map<number, Diagnosis>();
  for (const d of list) byId.set(d.id, d);
  return [...byId.values()];
}

/** One line: each cause once, most episodes first, with the summary of its latest episode. */
export function whyLine(episodes: readonly Diagnosis[]): string {
  if (episodes.length === 0) return "why clients waited: nothing the server's diagnosis saw (GET /diagnosis)";
  const byCause = new Map<string, Diagnosis[]>();
  for (const d of episodes) byCause.set(d.cause, [...(byCause.get(d.cause) ?? []), d]);
  const parts = [...byCause.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([cause, list]) => `${cause} ×${list.length}: ${list.at(-1)!.summary}`);
  return `why clients waited: ${parts.join('; ')}`;
}
