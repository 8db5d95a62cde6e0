/**
 * KindStats.restartMeasurement: what it starts afresh, what it keeps, and that the interval's
 * rates run on across it. The integration test (load-restart-measurement) shows it end to end.
 */
import { describe, expect, test } from 'vitest';
import { KindStats } from '../../main/load/stats';

describe('KindStats.restartMeasurement', () => {
  test('sent, received and cumulative latencies start afresh; connections and faults do not', () => {
    const s = new KindStats('ws-prime');
    s.opened = 3;
    s.sent = 10;
    s.received = 10;
    s.recordRtt(900);
    s.recordDelivery(800);
    s.recordConnect(5);
    s.fail('ECONNRESET');
    s.integrity.wrong = 1;
    s.snapshot(3, 0, 1000);

    s.received += 4;
    s.restartMeasurement();
    const r = s.snapshot(3, 0, 1000);
    expect([r.sent, r.received]).toEqual([0, 0]);
    expect(r.cumulative!.rtt.count).toBe(0);
    expect(r.cumulative!.delivery.count).toBe(0);
    expect(r.cumulative!.connect!.count).toBe(1);
    expect(r.opened).toBe(3);
    expect(r.failures).toEqual({ ECONNRESET: 1 });
    expect(r.integrity.wrong).toBe(1);
    // The 4 replies before the restart still belong to this interval's rate.
    expect(r.receivedPerS).toBe(4);
  });

  test('a reply to a request due before the restart stays out of the cumulative rtt, not out of the interval', () => {
    const s = new KindStats('http');
    s.restartMeasurement();
    s.recordRtt(60_000); // due a minute ago, long before the restart
    s.recordRtt(0); // due now
    s.received += 2;
    const r = s.snapshot(1, 0, 1000);
    expect(r.rtt.count).toBe(2);
    expect(r.cumulative!.rtt.count).toBe(1);
    expect(r.cumulative!.rtt.maxMs).toBeLessThan(1);
    expect([r.received, r.receivedPerS]).toEqual([2, 2]);
  });
});
