/**
 * The notice a restart of the demo server ends with, sent once the clients it carried are connected
 * to the new server (or after RECONNECT_WAIT_MS, saying how many are):
 * "…; 100 WS prime and 50 SSE clients reconnected".
 *
 * Plain Node: never imports electron.
 */
import type { NoticeCode } from '../../common/errors';
import type { LoadReport } from '../../common/load';
import { allBack, reconnectedText, type ClientCounts, type Rates } from './carried-clients';
import type { EventHub } from './event-hub';

/** How long a restart's notice waits for the simulated clients to be connected to the new server. */
const RECONNECT_WAIT_MS = 15_000;

/** Where the notice reads how far the clients have come back. */
export interface ReconnectProgress {
  latestReport(): LoadReport | null;
  rates(): Rates;
  /** The host is closing: nobody is left to tell. */
  closing(): boolean;
}

export function announceRestart(
  hub: EventHub,
  progress: ReconnectProgress,
  carried: ClientCounts | null,
  code: NoticeCode,
  text: string,
): void {
  if (carried === null || Object.keys(carried).length === 0) {
    hub.notice('info', code, text);
    return;
  }
  const since = Date.now();
  const deadline = since + RECONNECT_WAIT_MS;
  const check = (): void => {
    if (progress.closing()) return;
    const report = progress.latestReport();
    const back = report !== null && report.time > since && allBack(carried, report, progress.rates());
    if (!back && Date.now() <= deadline) {
      setTimeout(check, 100).unref();
      return;
    }
    hub.notice('info', code, `${text}; ${reconnectedText(carried, report, progress.rates())}`);
  };
  check();
}
