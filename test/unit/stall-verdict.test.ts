/**
 * The stall verdict (main/stalls/verdict.ts) over a table of stalls as the watchdog and attach see
 * them. Times are µs on one clock: the stall is noticed (and the pause asked for) at 100 ms and the
 * loop is free again at 400 ms. Scripts named `p…` are project code, the rest Node's or a library's.
 */
import { describe, expect, it } from 'vitest';
import { GARBAGE_COLLECTOR, NATIVE, type PausedStack, type ProfileFunction } from '../../main/stalls/profile';
import { stallVerdict, type StallVerdict } from '../../main/stalls/verdict';

const ASKED_US = 100_000;
const END_US = 400_000;

const fn = (functionName: string, scriptId: string, lineNumber = 0): ProfileFunction => ({
  functionName,
  scriptId,
  lineNumber,
  columnNumber: 0,
});

const handler = fn('handler', 'p1', 10);
const hashOnTheLoop = fn('hashOnTheLoop', 'p2', 40);
const buildReport = fn('buildReport', 'p3', 5);
const timerLoop = fn('listOnTimeout', 'node:timers');
const nowHelper = fn('now', 'node:perf_hooks');
const hashSync = fn('hashSync', 'bcrypt');
const native = fn(NATIVE, '0');
const gc = fn(GARBAGE_COLLECTOR, '0');

/** A stall's window: the heaviest stack (innermost first) and self time by function (ms). */
function window(stack: ProfileFunction[], hot: Array<[ProfileFunction, number]>, samples = hot.length) {
  return { samples, stack, hot: hot.map(([f, selfMs]) => ({ ...f, selfMs })) };
}

/** A pause that arrived `atMs` after the stall was noticed, with its stack innermost first. */
function pause(afterAskedMs: number, frames: ProfileFunction[]): PausedStack {
  return {
    atUs: ASKED_US + afterAskedMs * 1000,
    frames,
    positions: frames.map((f) => ({ scriptId: f.scriptId, lineNumber: f.lineNumber + 3, columnNumber: 0 })),
  };
}

interface Case {
  name: string;
  window: ReturnType<typeof window>;
  pause: PausedStack | null;
  verdict: Partial<StallVerdict>;
}

const cases: Case[] = [
  {
    name: 'pause mid-stall, on the sampled stack: the pause (its exact line)',
    window: window([handler, timerLoop], [[handler, 290]]),
    pause: pause(2, [handler, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code' },
  },
  {
    name: 'pause mid-stall in an inlined helper: the sampled project function is on its stack',
    window: window([handler, timerLoop], [[handler, 290]]),
    pause: pause(3, [nowHelper, handler, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code' },
  },
  {
    name: 'pause mid-stall in other code than the samples: the samples',
    window: window([handler, timerLoop], [[handler, 290]]),
    pause: pause(2, [buildReport, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: 'served long after it was asked but well before the end: still mid-stall',
    window: window([handler, timerLoop], [[handler, 290]]),
    pause: pause(150, [handler, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code' },
  },
  {
    name: "late pause after native code (bcrypt's hashSync): the samples, never whatever ran next",
    window: window([native, hashSync, hashOnTheLoop], [[native, 295]]),
    pause: pause(295, [hashOnTheLoop, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: 'native code first, then JavaScript that let a pause in well before the end: the samples',
    window: window(
      [native, hashSync, hashOnTheLoop],
      [
        [native, 200],
        [hashOnTheLoop, 90],
      ],
    ),
    pause: pause(200, [hashOnTheLoop, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: '(garbage collector) samples: a collection, not the JavaScript a mid-stall pause caught',
    window: window(
      [gc],
      [
        [gc, 240],
        [buildReport, 50],
      ],
    ),
    pause: pause(2, [buildReport, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'collection', collectionMs: 240 },
  },
  {
    name: '(garbage collector) samples: a collection, not the hot function a late pause names',
    window: window(
      [gc],
      [
        [gc, 240],
        [buildReport, 50],
      ],
    ),
    pause: pause(295, [buildReport, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'collection', collectionMs: 240 },
  },
  {
    name: 'some collection, mostly code: code, and a late pause naming a hot function names it',
    window: window(
      [gc],
      [
        [gc, 120],
        [buildReport, 100],
        [handler, 70],
      ],
    ),
    pause: pause(295, [buildReport, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code', collectionMs: 120 },
  },
  {
    name: 'thin profile under CPU starvation, late pause naming the one sample: the pause',
    window: window([handler, timerLoop], [[handler, 50]], 1),
    pause: pause(295, [handler, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code' },
  },
  {
    name: 'thin profile under CPU starvation, late pause elsewhere: the samples',
    window: window([handler, timerLoop], [[handler, 50]], 1),
    pause: pause(295, [buildReport, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: 'no samples, pause mid-stall in project code: the pause alone names it',
    window: window([], []),
    pause: pause(2, [handler, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code', collectionMs: 0 },
  },
  {
    name: "no samples, pause mid-stall in Node's own code only: nothing to name it by",
    window: window([], []),
    pause: pause(2, [timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: 'no samples, late pause in project code: not the culprit',
    window: window([], []),
    pause: pause(295, [handler, timerLoop]),
    verdict: { stackFrom: 'profile', heldBy: 'code' },
  },
  {
    name: 'a thin profile, mostly (garbage collector) but of a small part of the stall: code, named by the mid-stall pause',
    window: window(
      [gc],
      [
        [gc, 30],
        [buildReport, 10],
      ],
    ),
    pause: pause(2, [buildReport, timerLoop]),
    verdict: { stackFrom: 'pause', heldBy: 'code', collectionMs: 30 },
  },
  {
    name: 'no samples, no pause: the (empty) profile, and not a collection',
    window: window([], []),
    pause: null,
    verdict: { stackFrom: 'profile', heldBy: 'code', collectionMs: 0 },
  },
];

describe('stall verdict', () => {
  it.each(cases)('$name', (c) => {
    const verdict = stallVerdict({
      window: c.window,
      pause: c.pause,
      startUs: 0,
      pauseAskedUs: ASKED_US,
      endUs: END_US,
      isProject: (f) => f.scriptId.startsWith('p'),
    });
    expect(verdict).toMatchObject(c.verdict);
  });
});
