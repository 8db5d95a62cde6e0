/**
 * analyseWindow over a real V8 CPU profile of this process: two busy functions run one after the
 * other, and each window names its own, by stack and by self time, and nothing from the other.
 */
import { Session, type Profiler } from 'node:inspector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseWindow } from '../../main/stalls/profile';

const session = new Session();
const post = <T>(method: string, params?: object) =>
  new Promise<T>((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
/** V8's profile clock: monotonic µs, as process.hrtime. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function spinFirst(ms: number): number {
  let x = 0;
  const end = performance.now() + ms;
  // The clock is read once per 100,000 steps, so the samples land in this function, not in now().
  while (performance.now() < end) for (let i = 0; i < 100_000; i++) x += Math.sqrt(x + i);
  return x;
}

function spinSecond(ms: number): number {
  let x = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) for (let i = 0; i < 100_000; i++) x += Math.sin(x + i);
  return x;
}

let profile: Profiler.Profile;
const windows = { first: [0, 0], second: [0, 0] };

beforeAll(async () => {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  windows.first[0] = nowUs();
  spinFirst(120);
  windows.first[1] = nowUs();
  windows.second[0] = nowUs();
  spinSecond(120);
  windows.second[1] = nowUs();
  profile = (await post<{ profile: Profiler.Profile }>('Profiler.stop')).profile;
});

afterAll(() => session.disconnect());

describe('analyseWindow', () => {
  it('names the function that held each window, innermost first, with its self time', () => {
    for (const [name, other] of [
      ['spinFirst', 'spinSecond'],
      ['spinSecond', 'spinFirst'],
    ] as const) {
      const [from, to] = name === 'spinFirst' ? windows.first : windows.second;
      const w = analyseWindow(profile, from!, to!);
      // 1 ms sampling over 120 ms: at least some samples land, however busy the machine.
      expect(w.samples, name).toBeGreaterThan(10);
      expect(w.stack[0]?.functionName, name).toBe(name);
      const names = w.hot.map((h) => h.functionName);
      expect(names[0], name).toBe(name);
      expect(names, name).not.toContain(other);
      // Self time is the window's time, not more.
      const total = w.hot.reduce((t, h) => t + h.selfMs, 0);
      expect(total).toBeLessThanOrEqual((to! - from!) / 1000 + 1);
      expect(w.hot[0]!.selfMs).toBeGreaterThan(60);
    }
  });

  it('finds nothing in a window outside the profile', () => {
    const w = analyseWindow(profile, windows.second[1]! + 1e6, windows.second[1]! + 2e6);
    expect(w).toEqual({ samples: 0, stack: [], hot: [] });
  });
});
