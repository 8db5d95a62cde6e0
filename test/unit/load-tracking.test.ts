import { describe, expect, test } from 'vitest';
import { CLIENT_KINDS, type KindReport, type LoadReport } from '../../common/load';
import { DueQueue } from '../../main/load/due-queue';
import { FeedTracker, publisherPayload } from '../../main/load/feed-tracker';
import { mergeReports } from '../../main/load/merge-reports';
import { Ramp } from '../../main/load/ramp';
import { KindStats } from '../../main/load/stats';
import { kindReport } from '../fixtures/kind-report';

describe('FeedTracker', () => {
  test('an in-order stream counts nothing; gaps, repeats and reversals are each counted', () => {
    const stats = new KindStats('ws-feed');
    const t = new FeedTracker(stats);
    for (const seq of [5, 6, 7]) t.accept(seq, 'x');
    expect(stats.integrity).toEqual({ wrong: 0, missing: 0, duplicated: 0, outOfOrder: 0, expiredLost: 0 });
    t.accept(10, 'x'); // 8, 9 missing
    t.accept(10, 'x'); // duplicate
    t.accept(9, 'x'); // late
    t.expired(10, 20); // 11..19 lost
    t.accept(20, 'x');
    expect(stats.integrity).toEqual({ wrong: 0, missing: 2, duplicated: 1, outOfOrder: 1, expiredLost: 9 });
    expect(stats.received).toBe(7);
  });

  test('delivery latency comes from the publisher payload; foreign payloads are tolerated', () => {
    const stats = new KindStats('sse');
    const t = new FeedTracker(stats);
    t.accept(1, publisherPayload(1));
    t.accept(2, 'hello from curl');
    t.accept(3, '{"t":"nonsense"}');
    const r = stats.snapshot(1, 0, 1000);
    expect(r.delivery.count).toBe(1);
    expect(r.delivery.maxMs).toBeLessThan(1000);
    expect(r.received).toBe(3);
  });
});

test('DueQueue pops in due order and only what is due', () => {
  const q = new DueQueue<string>();
  const dues = [50, 10, 40, 10, 30, 20, 60];
  dues.forEach((d, i) => q.push(d, `i${i}`));
  expect(q.popDue(5)).toBeUndefined();
  const popped: number[] = [];
  for (let e = q.popDue(45); e; e = q.popDue(45)) popped.push(e.due);
  expect(popped).toEqual([10, 10, 20, 30, 40]);
  expect(q.size).toBe(2);
});

test('Ramp releases everything at rate 0 and at most the burst at a positive rate', () => {
  const r = new Ramp();
  r.add(1000, 0);
  expect(r.take(300)).toBe(300);
  expect(r.take(10_000)).toBe(700);
  const slow = new Ramp();
  slow.add(100, 20); // 20/s: a 50 ms burst is one client
  expect(slow.take(100)).toBe(1);
  expect(slow.take(100)).toBe(0);
  expect(slow.remove(1000)).toBe(99);
});

test('KindStats keeps failure causes bounded and rates per second', () => {
  const s = new KindStats('http');
  for (let i = 0; i < 40; i++) s.fail(`cause_${i}`);
  s.fail('cause_0');
  s.sent = 50;
  const r = s.snapshot(0, 0, 500);
  expect(Object.keys(r.failures).length).toBeLessThanOrEqual(25);
  expect(r.failures.cause_0).toBe(2);
  expect(r.failures.other).toBe(16);
  expect(r.sentPerS).toBe(100);
});

function report(over: Partial<KindReport>, loop: number, cpu: number): LoadReport {
  const kinds = Object.fromEntries(CLIENT_KINDS.map((k) => [k, kindReport(k, k === 'ws-prime' ? over : {})]));
  return {
    time: 1,
    intervalMs: 250,
    target: 'http://127.0.0.1:1',
    kinds: kinds as LoadReport['kinds'],
    generator: { processes: 1, eventLoopP99Ms: loop, cpuPercent: cpu, warning: null },
  };
}

test('mergeReports sums counts and takes the max of percentiles and of generator load', () => {
  const a = report(
    { active: 3, failures: { ECONNREFUSED: 1 }, rtt: { count: 10, p50Ms: 1, p99Ms: 9, maxMs: 12 } },
    5,
    20,
  );
  const b = report(
    {
      active: 4,
      failures: { ECONNREFUSED: 2, timeout: 1 },
      rtt: { count: 5, p50Ms: 2, p99Ms: 4, maxMs: 30 },
    },
    80,
    95,
  );
  const m = mergeReports([a, b]);
  expect(m.kinds['ws-prime'].active).toBe(7);
  expect(m.kinds['ws-prime'].failures).toEqual({ ECONNREFUSED: 3, timeout: 1 });
  expect(m.kinds['ws-prime'].rtt).toEqual({ count: 15, p50Ms: 2, p99Ms: 9, maxMs: 30 });
  expect(m.generator.processes).toBe(2);
  expect(m.generator.eventLoopP99Ms).toBe(80);
  expect(m.generator.warning).toMatch(/saturated/);
});
