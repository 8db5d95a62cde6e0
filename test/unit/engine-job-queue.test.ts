import { describe, expect, it } from 'vitest';
import { isLoopscopeError } from '../../common/errors';
import { JobQueue } from '../../main/engine/job-queue';
import { until } from '../fixtures/poll';

describe('JobQueue', () => {
  it('keeps accepted = done + depth + busy at every observed instant and loses no job', async () => {
    const queue = new JobQueue(50, 7);
    const check = () => {
      const s = queue.stats();
      expect(s.accepted).toBe(s.done + s.depth + s.busy);
      expect(s.depth).toBeLessThanOrEqual(s.capacity);
    };
    let samples = 0;
    const sampler = setInterval(() => {
      check();
      samples++;
    }, 1);
    const puts = [queue.enqueue(300, 1, { wait: true }), queue.enqueue(200, 0, { wait: true })];
    while (queue.stats().done < 500) {
      check();
      await new Promise((r) => setImmediate(r));
    }
    clearInterval(sampler);
    const results = await Promise.all(puts);
    expect(results.map((r) => r.accepted)).toEqual([300, 200]);
    expect(queue.stats()).toMatchObject({ accepted: 500, done: 500, depth: 0, busy: 0 });
    expect(samples).toBeGreaterThan(5);
    queue.close();
  });

  it('back-pressure: a waiting put resolves only once all its jobs are on the queue', async () => {
    const queue = new JobQueue(10, 1);
    let resolved = false;
    const put = queue.enqueue(25, 5, { wait: true }).then((r) => {
      resolved = true;
      return r;
    });
    await until(() => queue.stats().depth === 10, 'a full queue');
    expect(resolved).toBe(false);
    expect(queue.stats().accepted).toBeLessThan(25);
    const result = await put;
    expect(result.accepted).toBe(25);
    expect(result.rejected).toBe(0);
    expect(queue.stats().accepted).toBe(25);
    queue.close();
  });

  it('wait=0 takes what fits and rejects the rest at once', async () => {
    const queue = new JobQueue(10, 1);
    const first = await queue.enqueue(4, 1000, { wait: false });
    // One job went straight to the single worker; 3 wait.
    expect(first).toEqual({ accepted: 4, rejected: 0, depth: 3 });
    const second = await queue.enqueue(20, 1000, { wait: false });
    expect(second).toEqual({ accepted: 7, rejected: 13, depth: 10 });
    const third = await queue.enqueue(1, 1000, { wait: false });
    expect(third).toEqual({ accepted: 0, rejected: 1, depth: 10 });
    queue.close();
  });

  it('resizes the worker set live; extra workers finish their job and stop', async () => {
    const queue = new JobQueue(100, 2);
    await queue.enqueue(40, 20, { wait: false });
    expect(queue.stats().busy).toBe(2);
    queue.setWorkers(10);
    expect(queue.stats().busy).toBe(10);
    queue.setWorkers(3);
    expect(queue.stats()).toMatchObject({ workers: 3, busy: 10 });
    await until(() => queue.stats().busy <= 3 && queue.stats().done >= 10, 'the extra workers to stop');
    await until(() => queue.stats().done === 40, 'all jobs');
    let maxBusy = 0;
    await queue.enqueue(9, 5, { wait: false });
    while (queue.stats().done < 49) {
      maxBusy = Math.max(maxBusy, queue.stats().busy);
      await new Promise((r) => setImmediate(r));
    }
    expect(maxBusy).toBe(3);
    queue.close();
  });

  it('refuses worker counts outside 1..1000', () => {
    const queue = new JobQueue();
    for (const n of [0, -1, 1001, 2.5, NaN]) {
      try {
        queue.setWorkers(n);
        expect.unreachable(`setWorkers(${n})`);
      } catch (err) {
        expect(isLoopscopeError(err) && err.code).toBe('bad_request');
      }
    }
  });

  it('refuses counts and work times outside the protocol ranges', async () => {
    const queue = new JobQueue();
    for (const [count, workMs] of [
      [0, 1],
      [100_001, 1],
      [1.5, 1],
      [1, -1],
      [1, 10_001],
    ] as const) {
      await expect(queue.enqueue(count, workMs, { wait: false })).rejects.toMatchObject({
        code: 'bad_request',
      });
    }
    expect(queue.stats().accepted).toBe(0);
  });

  it('a producer that gives up stops putting; what it put still runs', async () => {
    const queue = new JobQueue(5, 1);
    const abort = new AbortController();
    const put = queue.enqueue(50, 1000, { wait: true, signal: abort.signal });
    await until(() => queue.stats().depth === 5, 'a full queue');
    abort.abort();
    const result = await put;
    expect(result.accepted).toBe(6);
    expect(result.rejected).toBe(44);
    expect(queue.stats().accepted).toBe(6);
    queue.close();
  });
});
