/** docs/protocol.md §7: CPU-bound work on the loop (everyone stalls) or on a worker pool (nobody does). */
import { BCRYPT_COST } from '../../../../common/limits';
import type { Route, ServerContext } from '../context';
import type { Exchange } from '../exchange';

async function hash(ex: Exchange, ctx: ServerContext): Promise<void> {
  const cost = ex.intParam('cost', BCRYPT_COST);
  const mode = ex.enumParam('mode', ['loop', 'pool'] as const);
  // The body is the password; the service refuses a length bcrypt would not hash as given.
  const password = await ex.body();
  ex.json(200, await ctx.bcrypt.hash(password, cost, mode));
}

export const bcryptRoutes: Route[] = [{ method: 'POST', path: '/bcrypt', handle: hash }];
