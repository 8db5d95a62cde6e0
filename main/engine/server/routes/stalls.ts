/** docs/protocol.md §9: what blocked the loop (GET /stalls) and what counts as a stall (PUT threshold). */
import { checkStallThreshold } from '../../../stalls/stall-log';
import type { Route } from '../context';

export const stallRoutes: Route[] = [
  {
    method: 'GET',
    path: '/stalls',
    handle: (ex, ctx) => {
      const since = ex.optionalCursor(ex.url.searchParams.get('since'), 'since') ?? 0;
      ex.json(200, { thresholdMs: ctx.stalls.thresholdMs, stalls: ctx.stalls.since(since) });
    },
  },
  {
    method: 'PUT',
    path: '/stalls/threshold',
    handle: async (ex, ctx) => {
      const body = await ex.jsonBody('{"thresholdMs": T}');
      ctx.stalls.thresholdMs = checkStallThreshold(body.thresholdMs);
      ex.json(200, { thresholdMs: ctx.stalls.thresholdMs });
    },
  },
];
