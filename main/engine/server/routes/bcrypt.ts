/** PROTOCOL.md §7: CPU-bound work on the loop (everyone stalls) or on a worker pool (nobody does). */
import { MAX_COST, MAX_PASSWORD_BYTES, MIN_COST } from '../../bcrypt/service';
import type { Route, ServerContext } from '../context';
import { badRequest, type Exchange } from '../exchange';

async function hash(ex: Exchange, ctx: ServerContext): Promise<void> {
  const cost = ex.intParam('cost', { min: MIN_COST, max: MAX_COST, default: 10 });
  const mode = ex.enumParam('mode', ['loop', 'pool'] as const);
  const password = await ex.body();
  if (password.length < 1 || password.length > MAX_PASSWORD_BYTES) {
    throw badRequest(`the body (password) must be 1 to ${MAX_PASSWORD_BYTES} bytes, got ${password.length}`);
  }
  ex.json(200, await ctx.bcrypt.hash(password, cost, mode));
}

export const bcryptRoutes: Route[] = [{ method: 'POST', path: '/bcrypt', handle: hash }];
