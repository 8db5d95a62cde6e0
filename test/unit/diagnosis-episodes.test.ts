/**
 * docs/protocol.md §12's episode rules (main/diagnosis/episodes.ts) and the demo server's signals
 * (signals.ts), as tables of cases: when an episode opens, when it closes, one per cause, the
 * order of the open ones, and what the signals say.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../common/diagnosis';
import type { Stall } from '../../common/stalls';
import { Episodes, SLOW_REQUEST_MS, type Signal } from '../../main/diagnosis/episodes';
import { loopSignal, upstreamSignal } from '../../main/diagnosis/signals';

const signal = (cause: Signal['cause'], serious: boolean, waitMs = 100): Signal => ({
  cause,
  serious,
  waitMs,
  summary: `${cause} ${waitMs}`,
  evidence: { waitMs },
  culprit: {},
});

function run(samples: [Signal[], boolean][]): { events: Diagnosis[]; episodes: Episodes } {
  const events: Diagnosis[] = [];
  const episodes = new Episodes((d) => events.push(d));
  samples.forEach(([signals, affected], i) => episodes.sample(1000 * (i + 1), signals, affected));
  return { events, episodes };
}

describe('Episodes', () => {
  it.each([
    ['no signal, even with slow requests', [[[], true]], []],
    ['a signal while no client waits, not serious', [[[signal('upstream', false)], false]], []],
    ['a signal while clients wait', [[[signal('upstream', false)], true]], ['open upstream 1 at 1000']],
    ['a serious signal, whoever waits', [[[signal('loop', true)], false]], ['open loop 1 at 1000']],
  ] as [string, [Signal[], boolean][], string[]][])('%s', (_name, samples, expected) => {
    const { events } = run(samples);
    expect(
      events.map(
        (d) => `${d.endedAt === null ? 'open' : 'close'} ${d.cause} ${d.id} at ${d.endedAt ?? d.startedAt}`,
      ),
    ).toEqual(expected);
  });

  it('closes an episode after three samples without its signal, listing it again with the same id', () => {
    const loop = signal('loop', true);
    const { events, episodes } = run([
      [[loop], false],
      [[], false],
      [[], false],
      [[loop], false], // back before the third quiet sample: the same episode goes on
      [[], false],
      [[], false],
      [[], false],
    ]);
    expect(events.map((d) => [d.id, d.endedAt])).toEqual([
      [1, null],
      [1, 7000],
    ]);
    expect(episodes.openNow()).toEqual([]);
    expect(episodes.since(0).map((d) => d.id)).toEqual([1, 1]);
    expect(episodes.since(1)).toEqual([]);
  });

  it('keeps one open episode per cause, the one explaining the most waiting first, with the latest figures', () => {
    const { events, episodes } = run([
      [[signal('upstream', false, 50), signal('loop', true, 10)], true],
      [[signal('upstream', false, 70), signal('loop', true, 900)], true],
    ]);
    expect(events.map((d) => d.cause)).toEqual(['upstream', 'loop']);
    expect(episodes.openNow().map((d) => [d.cause, d.summary])).toEqual([
      ['loop', 'loop 900'],
      ['upstream', 'upstream 70'],
    ]);
  });
});

const stall = (durationMs: number, functionName: string): Stall => ({
  id: 1,
  startedAt: 0,
  durationMs,
  detectedAfterMs: 100,
  stackFrom: 'pause',
  process: 'server',
  frames: [{ functionName, url: 'file:///srv/app.js', lineNumber: 12, columnNumber: 3 }],
  hot: [],
});

describe('the demo server signals', () => {
  it('loop: none without a stall; otherwise serious, summed, named by the longest stall', () => {
    expect(loopSignal([])).toBeNull();
    const s = loopSignal([stall(150, 'small'), stall(400, 'rank')])!;
    expect(s).toMatchObject({
      cause: 'loop',
      serious: true,
      evidence: { stallMs: 550, stalls: 2 },
      culprit: { functionName: 'rank', url: 'file:///srv/app.js', lineNumber: 12 },
    });
    expect(s.summary).toMatch(/2 stalls, 550 ms in all, the longest 400 ms in rank/);
    // No code seen running (no frame: a starved process), or the collector: not a loop episode.
    expect(loopSignal([{ ...stall(300, 'x'), frames: [] }, stall(250, '(garbage collector)')])).toBeNull();
  });

  it(`upstream: the slowest origin at or over ${SLOW_REQUEST_MS} ms, with its figures; none below`, () => {
    const fast = { origin: 'http://127.0.0.1:9000', count: 50, p99Ms: 12, inFlight: 1 };
    const slow = { origin: 'http://127.0.0.1:9401', count: 240, p99Ms: 612, inFlight: 58 };
    expect(upstreamSignal([fast])).toBeNull();
    expect(upstreamSignal([slow, fast])).toMatchObject({
      cause: 'upstream',
      serious: false,
      evidence: { p99Ms: 612, inFlight: 58, count: 240 },
      culprit: { origin: 'http://127.0.0.1:9401' },
      summary: 'Requests wait on http://127.0.0.1:9401: p99 612 ms, 58 in flight',
    });
  });
});
