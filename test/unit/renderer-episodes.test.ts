/**
 * The "Why clients wait" panel's pure parts: the episode store (an episode's close replaces its
 * open, by id and start; bounded, closed ones going first) and the words it shows.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../common/diagnosis';
import { EpisodeStore } from '../../renderer/state/episodes';
import { culpritText, durationText, evidenceText } from '../../renderer/panels/why-words';

const ep = (id: number, over: Partial<Diagnosis> = {}): Diagnosis => ({
  type: 'diagnosis',
  id,
  startedAt: 1_000 * id,
  endedAt: null,
  cause: 'loop',
  summary: `episode ${id}`,
  evidence: {},
  culprit: {},
  ...over,
});

describe('EpisodeStore', () => {
  it('merges an episode closing into its opening, by id', () => {
    const s = new EpisodeStore();
    expect(s.take([ep(1), ep(2, { cause: 'upstream' })])).toBe(true);
    expect(s.open().map((d) => d.id)).toEqual([2, 1]);
    expect(s.take([ep(1, { endedAt: 5_000, summary: 'closed' })])).toBe(true);
    expect(s.list()).toHaveLength(2);
    expect(s.list().find((d) => d.id === 1)).toMatchObject({ endedAt: 5_000, summary: 'closed' });
    expect(s.open().map((d) => d.id)).toEqual([2]);
  });

  it('changes nothing for a repeat, nor for a late copy of an opening after the close', () => {
    const s = new EpisodeStore();
    s.take([ep(1)]);
    expect(s.take([ep(1)])).toBe(false);
    s.take([ep(1, { endedAt: 5_000 })]);
    expect(s.take([ep(1)])).toBe(false);
    expect(s.list()[0]!.endedAt).toBe(5_000);
    expect(s.take(undefined)).toBe(false);
  });

  it('keeps a close it never saw open (the page came mid-episode)', () => {
    const s = new EpisodeStore();
    s.take([ep(7, { endedAt: 9_000 })]);
    expect(s.list()).toHaveLength(1);
  });

  it('tells a restarted server apart: the same id with another start is another episode', () => {
    const s = new EpisodeStore();
    s.take([ep(1, { endedAt: 2_000 })]);
    s.take([ep(1, { startedAt: 50_000 })]);
    expect(s.list()).toHaveLength(2);
  });

  it('is bounded: the oldest closed episode goes first, an open one stays', () => {
    const s = new EpisodeStore(3);
    s.take([ep(1), ep(2, { endedAt: 3_000 }), ep(3, { endedAt: 4_000 })]);
    s.take([ep(4)]);
    expect(s.list().map((d) => d.id)).toEqual([4, 3, 1]);
    s.take([ep(5), ep(6)]);
    expect(s.list().map((d) => d.id)).toEqual([6, 5, 4]);
    s.clear();
    expect(s.list()).toEqual([]);
  });
});

describe('why-words', () => {
  it.each([
    [ep(1, { evidence: { stallMs: 812.4, stalls: 1 } }), '812 ms stalled · 1 stall'],
    [
      ep(1, { cause: 'upstream', evidence: { p99Ms: 612, inFlight: 58, count: 240 } }),
      'p99 612 ms · 58 in flight · 240 calls',
    ],
    [
      ep(1, { cause: 'threadpool', evidence: { poolSize: 2, queued: 6, waitMs: 950 } }),
      '2 threads · 6 queued · waited 950 ms',
    ],
    [
      ep(1, {
        cause: 'gc',
        evidence: {
          gcMs: 300,
          gcCount: 4,
          kind: 'major',
          heapUsedBytes: 100 * 2 ** 20,
          heapLimitBytes: 2 ** 31,
        },
      }),
      '300 ms in GC · 4 collections · heap 100 MB · limit 2,048 MB · kind major',
    ],
    [
      ep(1, {
        cause: 'memory',
        evidence: { bytesPerMin: 3 * 2 ** 20, heapUsedBytes: 2 ** 28, minutesToLimit: 40 },
      }),
      '+3.0 MB/min · heap 256 MB · limit in ~40 min',
    ],
  ])('evidence in figures: %#', (d, text) => {
    expect(evidenceText(d)).toBe(text);
  });

  it.each([
    [
      { functionName: 'hash', url: 'file:///app/main/engine/bcrypt/service.ts', lineNumber: 45 },
      'hash engine/bcrypt/service.ts:45',
    ],
    [{ functionName: '', url: 'file:///app/src/a.js', lineNumber: 3 }, '(anonymous) app/src/a.js:3'],
    [{ origin: 'http://127.0.0.1:9401' }, 'http://127.0.0.1:9401'],
    [{ resource: 'bcrypt pool', pending: 6 }, 'bcrypt pool, 6 pending'],
    [{}, ''],
  ])('culprit in words: %#', (culprit, text) => {
    expect(culpritText({ culprit })).toBe(text);
  });

  it('says how long, or that it is still going', () => {
    expect(durationText({ startedAt: 0, endedAt: 8_400 }, 99_000)).toBe('lasted 8 s');
    expect(durationText({ startedAt: 0, endedAt: null }, 125_000)).toBe('ongoing, 2 min 5 s so far');
  });
});
