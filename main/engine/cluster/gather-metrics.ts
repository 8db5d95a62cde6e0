/**
 * A scrape of any one serving process answers for all of them: the primary asks every process for
 * its /metrics text and merges what comes back in time.
 */
import type { Worker } from 'node:cluster';
import { mergeMetrics } from './merge-metrics';
import type { PrimaryMessage } from './worker';

/** How long a scrape waits for every serving process's metrics (a stalled loop answers late). */
const METRICS_GATHER_MS = 3_000;

export class MetricsGather {
  /** Scrapes in flight: each serving process's text is handed to the scrape that asked, by id. */
  private readonly renders = new Map<number, (id: number, text: string) => void>();
  private nextRender = 1;

  /** Every serving process's /metrics, labelled; a process that does not answer in time is left out. */
  gather(serving: Iterable<[number, Worker]>): Promise<string> {
    const reqId = this.nextRender++;
    const asked = [...serving].filter(([, w]) => w.isConnected());
    const parts: { id: number; text: string }[] = [];
    return new Promise<string>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.renders.delete(reqId);
        resolve(mergeMetrics(parts.filter((p) => p.text !== '')));
      };
      const timer = setTimeout(finish, METRICS_GATHER_MS);
      this.renders.set(reqId, (id, text) => {
        parts.push({ id, text });
        if (parts.length === asked.length) finish();
      });
      for (const [, w] of asked)
        w.send({ type: 'loopscope:metrics-render', reqId } satisfies PrimaryMessage, () => {});
      if (asked.length === 0) finish();
    });
  }

  /** One process's text, for the scrape `reqId` (ignored once that scrape has finished). */
  receive(reqId: number, id: number, text: string): void {
    this.renders.get(reqId)?.(id, text);
  }
}
