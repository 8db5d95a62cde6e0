/**
 * analyseWindow over a real V8 CPU profile of this process: two busy functions run one after the
 * other, and each window names its own, by stack and by self time, and nothing from the other.
 * trimProfile cuts the same profile to one window: a valid profile of that window only, capped.
 */
import { Session, type Profiler } from 'node:inspector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../common/cpuprofile';
import { analyseWindow } from '../../main/stalls/profile';
import { trimProfile } from '../../main/stalls/stall-profile';

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

/** What a .cpuprofile reader relies on: the root first, one tree, every sample on a listed node. */
function expectValid(p: CpuProfile): void {
  const ids = new Set(p.nodes.map((n) => n.id));
  expect(ids.size).toBe(p.nodes.length);
  expect(p.nodes[0]!.callFrame.functionName).toBe('(root)');
  const parents = new Map<number, number>();
  for (const n of p.nodes)
    for (const c of n.children ?? []) {
      expect(ids.has(c)).toBe(true);
      expect(parents.has(c)).toBe(false);
      parents.set(c, n.id);
    }
  // Every node but the root has a parent: one tree.
  expect(parents.size).toBe(p.nodes.length - 1);
  for (const s of p.samples) expect(ids.has(s)).toBe(true);
  expect(p.timeDeltas).toHaveLength(p.samples.length);
  expect(p.timeDeltas.every((d) => d >= 0)).toBe(true);
  expect(p.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0)).toBe(p.samples.length);
}

function samplesWithin(p: Profiler.Profile, from: number, to: number): number {
  let t = p.startTime;
  let n = 0;
  for (const d of p.timeDeltas ?? []) if ((t += d) >= from && t <= to) n++;
  return n;
}

const names = (p: CpuProfile): string[] => p.nodes.map((n) => n.callFrame.functionName);

describe('trimProfile', () => {
  it("keeps the window's samples and the nodes they stand on, and nothing of the other window", () => {
    const [from, to] = windows.first as [number, number];
    const p = trimProfile(profile, from, to);
    expectValid(p);
    expect(p.startTime).toBe(from);
    expect(p.endTime).toBe(to);
    // Every sample in the window, V8's bookkeeping ones too ((program), which analyseWindow leaves
    // out and a busy machine puts in the window now and then): the file is the profile, cut.
    expect(p.samples.length).toBe(samplesWithin(profile, from, to));
    expect(p.samples.length).toBeGreaterThanOrEqual(analyseWindow(profile, from, to).samples);
    expect(names(p)).toContain('spinFirst');
    expect(names(p)).not.toContain('spinSecond');
    // Every sample inside the window, on V8's clock.
    let t = p.startTime;
    for (const d of p.timeDeltas) expect((t += d)).toBeLessThanOrEqual(to);
    expect(p.nodes.length).toBeLessThan(profile.nodes.length);
  });

  it('stays a valid profile of the window within its caps, over most of its span', () => {
    const [from, to] = windows.first as [number, number];
    const whole = trimProfile(profile, from, to);
    const capped = trimProfile(profile, from, to, { samples: 5, nodes: 3 });
    expectValid(capped);
    expect(capped.samples.length).toBeLessThanOrEqual(5);
    expect(capped.nodes.length).toBeLessThanOrEqual(3);
    // Every k-th sample, each standing for the ones it replaced: the span is the same.
    const span = (p: CpuProfile) => p.timeDeltas.reduce((a, b) => a + b, 0);
    expect(span(capped)).toBeLessThanOrEqual(span(whole));
    expect(span(capped)).toBeGreaterThan(span(whole) * 0.5);
  });

  it('a window with no sample is a root and nothing else', () => {
    const after = windows.second[1]! + 1e6;
    const p = trimProfile(profile, after, after + 1e6);
    expectValid(p);
    expect(p.samples).toEqual([]);
    expect(p.nodes).toHaveLength(1);
  });
});
