/**
 * docs/protocol.md §9: what blocked the loop (GET /stalls), a stall's CPU samples as a download
 * (GET /stalls/ID/profile) and what counts as a stall (PUT threshold).
 */
import { profileFilename } from '../../../../common/cpuprofile';
import { LoopscopeError } from '../../../../common/errors';
import { STALL_LIST_MAX } from '../../../../common/limits';
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
    method: 'GET',
    path: '/stalls/:id/profile',
    handle: (ex, ctx) => {
      const raw = ex.params.id ?? '';
      // Anything but a kept stall's id names nothing here: the general rule's 404 for a path.
      const id = /^\d{1,15}$/.test(raw) ? Number(raw) : null;
      const profile = id === null ? null : ctx.stalls.profile(id);
      if (id === null || !profile) {
        throw new LoopscopeError(
          'not_found',
          `no profile for stall ${JSON.stringify(raw.slice(0, 40))}: the latest ${STALL_LIST_MAX} stalls are kept (GET /stalls lists them)`,
        );
      }
      ex.sendRaw(200, 'application/json', JSON.stringify(profile), {
        'content-disposition': `attachment; filename="${profileFilename(id)}"`,
      });
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
