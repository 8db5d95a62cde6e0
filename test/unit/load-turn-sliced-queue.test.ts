/**
 * TurnSlicedQueue: a burst of queued work runs first in, first out, each item once, and the
 * event loop's timers get their turn while the burst is still being worked off.
 */
import { describe, expect, it } from 'vitest';
import { TurnSlicedQueue } from '../../main/load/turn-sliced-queue';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the CPU a loopback write costs, standing in for it
  }
}

describe('TurnSlicedQueue', () => {
  it('runs every item once, in order, and lets a timer fire before the burst is done', async () => {
    const ran: number[] = [];
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const ITEMS = 4000;
    const queue = new TurnSlicedQueue<number>((n) => {
      busy(0.05);
      ran.push(n);
      if (n === ITEMS - 1) done();
    });
    // A timer due during the burst (~200 ms of work): in one synchronous go it could only fire after.
    let ticksDuringBurst = 0;
    const timer = setInterval(() => {
      if (queue.size > 0) ticksDuringBurst++;
    }, 5);
    for (let n = 0; n < ITEMS; n++) queue.push(n);
    expect(ran).toHaveLength(0); // nothing runs inside push: the caller's handler returns first
    await finished;
    clearInterval(timer);
    expect(ran).toEqual(Array.from({ length: ITEMS }, (_, n) => n));
    expect(queue.size).toBe(0);
    expect(ticksDuringBurst).toBeGreaterThan(0);
  });

  it('takes new work after it has drained, and work pushed while it drains joins the tail', async () => {
    const ran: string[] = [];
    const queue = new TurnSlicedQueue<string>((s) => {
      ran.push(s);
      if (s === 'a') queue.push('c');
    });
    queue.push('a');
    queue.push('b');
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['a', 'b', 'c']);
    queue.push('d');
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });
});
