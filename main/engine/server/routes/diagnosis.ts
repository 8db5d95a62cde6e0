/** docs/protocol.md §12: why clients waited (GET /diagnosis?since=ID). */
import type { Route } from '../context';

export const diagnosisRoutes: Route[] = [
  {
    method: 'GET',
    path: '/diagnosis',
    handle: (ex, ctx) => {
      const since = ex.optionalCursor(ex.url.searchParams.get('since'), 'since') ?? 0;
      ex.json(200, { diagnoses: ctx.diagnoses.since(since) });
    },
  },
];
