import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type ClientKind, type KindReport, type LoadReport } from '../../common/load';
import { joinReportWindows, ReportWindows } from '../../common/report-windows';
import { kindReport } from '../fixtures/kind-report';

function report(
  time: number,
  over: Partial<Record<ClientKind, Partial<KindReport>>>,
  loopP99 = 1,
): LoadReport {
  const kinds = {} as Record<ClientKind, KindReport>;
  for (const kind of CLIENT_KINDS) kinds[kind] = kindReport(kind, over[kind] ?? {});
  return {
    time,
    intervalMs: 250,
    target: 'http://127.0.0.1:1',
    kinds,
    generator: { processes: 1, eventLoopP99Ms: loopP99, cpuPercent: 10, warning: null },
  };
}

const lat = (count: number, p50Ms: number, p99Ms: number, maxMs: number) => ({ count, p50Ms, p99Ms, maxMs });

describe('report windows', () => {
  it('a stall in any window between two reads survives: worst latencies, summed counts, latest gauges', () => {
    const windows = new ReportWindows();
    windows.add(report(1000, { 'ws-prime': { active: 500, sent: 100, rtt: lat(400, 1, 2, 3) } }));
    // The stalled window: the one the old "latest only" forwarding dropped.
    windows.add(
      report(
        1250,
        {
          'ws-prime': { active: 500, sent: 110, rtt: lat(20, 300, 530, 532) },
          sse: { delivery: lat(5, 400, 510, 512) },
        },
        40,
      ),
    );
    windows.add(
      report(1500, { 'ws-prime': { active: 490, sent: 500, rtt: lat(480, 2, 4, 5), sentPerS: 1600 } }),
    );
    windows.add(report(1750, { 'ws-prime': { active: 480, sent: 900, rtt: lat(0, 0, 0, 0) } }));
    const joined = windows.take();
    expect(joined).not.toBeNull();
    const prime = joined!.kinds['ws-prime'];
    expect(prime.rtt).toEqual(lat(900, 300, 530, 532));
    expect(joined!.kinds.sse.delivery).toEqual(lat(5, 400, 510, 512));
    // Gauges and totals since start: the latest window's.
    expect(prime.active).toBe(480);
    expect(prime.sent).toBe(900);
    // Rates: the mean over the four equal windows.
    expect(prime.sentPerS).toBeCloseTo(400);
    expect(joined!.intervalMs).toBe(1000);
    expect(joined!.time).toBe(1750);
    expect(joined!.generator.eventLoopP99Ms).toBe(40);
    expect(windows.take()).toBeNull();
  });

  it('an empty window does not erase a measured one', () => {
    const a = report(0, { 'ws-feed': { delivery: lat(3, 2, 3, 4) } });
    const b = report(250, {});
    expect(joinReportWindows(a, b).kinds['ws-feed'].delivery).toEqual(lat(3, 2, 3, 4));
    expect(joinReportWindows(b, a).kinds['ws-feed'].delivery).toEqual(lat(3, 2, 3, 4));
  });
});
