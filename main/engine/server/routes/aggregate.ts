/**
 * docs/protocol.md §3: fan out K real HTTP requests to this server's own /slow, concurrently (E ≈ N)
 * or one after another (E ≈ K×N), like Tornado's AsyncHTTPClient in an async handler.
 */
import { setMaxListeners } from 'node:events';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { LoopscopeError } from '../../../../common/errors';
import type { Route, ServerContext } from '../context';
import { badRequest, type Exchange } from '../exchange';
import { AGGREGATE_CALLS, SLOW_MS } from '../../../../common/limits';

function callSlow(ctx: ServerContext, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${ctx.selfUrl()}/slow?ms=${ms}`, { agent: ctx.agent, signal }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.statusCode === 200) resolve();
        else reject(new Error(`/slow answered ${res.statusCode}`));
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

async function aggregate(ex: Exchange, ctx: ServerContext): Promise<void> {
  const calls = ex.intParam('calls', AGGREGATE_CALLS);
  const ms = ex.intParam('ms', SLOW_MS);
  const seq = ex.url.searchParams.get('sequential');
  if (seq !== null && seq !== '0' && seq !== '1') {
    throw badRequest(`sequential must be 0 or 1, got ${JSON.stringify(seq)}`);
  }
  const sequential = seq === '1';
  // If our client leaves, its upstream calls are cancelled rather than left running.
  const abort = new AbortController();
  // Each concurrent call adds one abort listener; at most AGGREGATE_CALLS.max at once is by design, not
  // the leak Node's default limit of 10 listeners per signal warns about.
  setMaxListeners(AGGREGATE_CALLS.max, abort.signal);
  ex.res.once('close', () => abort.abort());
  const start = performance.now();
  try {
    if (sequential) {
      for (let i = 0; i < calls; i++) await callSlow(ctx, ms, abort.signal);
    } else {
      await Promise.all(Array.from({ length: calls }, () => callSlow(ctx, ms, abort.signal)));
    }
  } catch (err) {
    if (abort.signal.aborted) return;
    throw new LoopscopeError(
      'upstream_failed',
      `an upstream call to /slow failed: ${(err as Error).message}`,
    );
  }
  const elapsedMs = Math.round(performance.now() - start);
  ex.json(200, { calls, ms, elapsedMs, mode: sequential ? 'sequential' : 'concurrent' });
}

export const aggregateRoutes: Route[] = [{ method: 'GET', path: '/aggregate', handle: aggregate }];
