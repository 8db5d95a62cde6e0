/**
 * How the controller shares a spawn or a stop among its generator processes. Pure: the counts come
 * from the processes' last reports and fd accounting, in the controller's process order.
 */

/**
 * Who opens how many of `count` new clients, given each process's free descriptors. 'even' (a
 * fixed process count, there for CPU): an even share each, the rest wherever descriptors are left.
 * 'fill' ('auto', there only for descriptors): the first processes first, so as few as possible
 * hold sockets. The caller has checked that the free descriptors add up to `count`.
 */
export function spawnShares(free: readonly number[], count: number, policy: 'even' | 'fill'): number[] {
  const shares = free.map(() => 0);
  let left = count;
  const give = (i: number, most: number): void => {
    const n = Math.max(0, Math.min(left, most, free[i]! - shares[i]!));
    shares[i]! += n;
    left -= n;
  };
  if (policy === 'even') {
    const even = Math.ceil(count / free.length);
    for (let i = 0; i < free.length; i++) give(i, even);
  }
  for (let i = 0; i < free.length && left > 0; i++) give(i, Infinity);
  return shares;
}

/**
 * Who stops how many of `count` clients of a kind, given how many each process had at its last
 * report: the fullest first, each at most what it had. What is left goes to the fullest process:
 * reports may be a quarter second old, and the clients they do not count yet are those spawned
 * since, which the fullest is the likeliest to hold ('fill' put them there, 'even' put as many
 * there as anywhere). A process asked for more than it has stops what it has; an order sent to the
 * emptiest process instead, which may have none, left the user's clients running.
 */
export function stopShares(have: readonly number[], count: number): number[] {
  const shares = have.map(() => 0);
  if (have.length === 0) return shares;
  const order = have.map((_, i) => i).sort((a, b) => have[b]! - have[a]!);
  let left = count;
  for (const i of order) {
    const n = Math.min(left, have[i]!);
    shares[i] = n;
    left -= n;
  }
  shares[order[0]!]! += left;
  return shares;
}
