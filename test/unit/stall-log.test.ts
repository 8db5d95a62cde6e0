/**
 * A stall's profile is kept exactly as long as the stall is listed (docs/protocol.md §9: the
 * latest 100), so GET /stalls/ID/profile answers for what GET /stalls lists and 404s after.
 */
import { describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../common/cpuprofile';
import { STALL_LIST_MAX } from '../../common/limits';
import type { Stall } from '../../common/stalls';
import { StallLog } from '../../main/stalls/stall-log';

const stall: Omit<Stall, 'id'> = {
  startedAt: 0,
  durationMs: 150,
  detectedAfterMs: 101,
  stackFrom: 'profile',
  process: 'server',
  frames: [],
  hot: [],
};

const profileOf = (n: number): CpuProfile => ({
  nodes: [
    {
      id: 1,
      callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 },
      hitCount: 0,
      children: [],
    },
  ],
  startTime: n,
  endTime: n + 150_000,
  samples: [],
  timeDeltas: [],
});

describe('StallLog profiles', () => {
  it('keeps the profile of every listed stall and drops it with its stall', () => {
    const log = new StallLog();
    for (let i = 1; i <= STALL_LIST_MAX + 1; i++) log.add(stall, profileOf(i));
    const listed = log.since(0).map((s) => s.id);
    expect(listed).toHaveLength(STALL_LIST_MAX);
    expect(listed[0]).toBe(2);
    expect(log.profile(1)).toBeNull();
    for (const id of listed) expect(log.profile(id)?.startTime).toBe(id);
    expect(log.profile(STALL_LIST_MAX + 2)).toBeNull();
  });

  it('a stall listed without samples has no profile', () => {
    const log = new StallLog();
    const s = log.add(stall);
    expect(log.since(0)).toHaveLength(1);
    expect(log.profile(s.id)).toBeNull();
  });
});
