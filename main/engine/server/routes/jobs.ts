/** docs/protocol.md §6: the bounded work queue (tornado.queues producer and consumers). */
import type { Route, ServerContext } from '../context';
import { badRequest, type Exchange } from '../exchange';
import { JOB_COUNT, JOB_WORK_MS, QUEUE_WORKERS } from '../../../../common/limits';
import { checkInt } from '../../../../common/range';

async function enqueue(ex: Exchange, ctx: ServerContext): Promise<void> {
  const waitParam = ex.url.searchParams.get('wait');
  if (waitParam !== null && waitParam !== '0' && waitParam !== '1') {
    throw badRequest(`wait must be 0 or 1, got ${JSON.stringify(waitParam)}`);
  }
  const body = await ex.jsonBody('{"count": N, "workMs": M}');
  const count = checkInt('count', body.count, JOB_COUNT);
  const workMs = checkInt('workMs', body.workMs, JOB_WORK_MS);
  const wait = waitParam !== '0';
  // A producer that hangs up while waiting for room stops putting; what it already put still runs.
  const gone = new AbortController();
  ex.res.once('close', () => gone.abort());
  const result = await ctx.queue.enqueue(count, workMs, { wait, signal: gone.signal });
  if (wait) ex.json(202, { accepted: result.accepted, depth: result.depth });
  else ex.json(202, result);
}

async function setWorkers(ex: Exchange, ctx: ServerContext): Promise<void> {
  const body = await ex.jsonBody('{"workers": W}');
  const workers = checkInt('workers', body.workers, QUEUE_WORKERS);
  ex.json(200, await ctx.queue.setWorkers(workers));
}

export const jobRoutes: Route[] = [
  { method: 'POST', path: '/jobs', handle: enqueue },
  { method: 'GET', path: '/jobs', handle: async (ex, ctx) => ex.json(200, await ctx.queue.stats()) },
  { method: 'PUT', path: '/jobs/workers', handle: setWorkers },
];
