/** docs/protocol.md §2: a slow upstream that waits without blocking anyone else. */
import type { Route } from '../context';
import type { Exchange } from '../exchange';
import { SLOW_MS } from '../../../../common/limits';

function slow(ex: Exchange): void {
  const ms = ex.intParam('ms', SLOW_MS);
  const timer = setTimeout(() => ex.json(200, { waitedMs: ms }), ms);
  // A client that leaves early frees its timer at once.
  ex.res.once('close', () => clearTimeout(timer));
}

export const slowRoutes: Route[] = [{ method: 'GET', path: '/slow', handle: slow }];
