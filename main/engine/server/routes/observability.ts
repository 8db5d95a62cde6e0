/**
 * docs/protocol.md §8: the engine snapshot as JSON (/stats) and as Prometheus text (/metrics); §9 adds
 * the stall totals to /stats.
 */
import type { Route } from '../context';

export const observabilityRoutes: Route[] = [
  {
    method: 'GET',
    path: '/stats',
    handle: (ex, ctx) => {
      const own = { ...ctx.sampler.current(), stalls: ctx.stalls.summary() };
      ex.json(200, ctx.statsView ? ctx.statsView(own) : own);
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    handle: async (ex, ctx) =>
      ex.sendRaw(
        200,
        ctx.prometheus.contentType,
        ctx.metricsView ? await ctx.metricsView() : await ctx.prometheus.render(),
      ),
  },
];
