/**
 * The dashboard's snapshot over several server processes (docs/protocol.md §10): what /stats does for
 * its body (aggregate.ts), for the EngineSnapshot shape. Counts and rates are summed, event-loop
 * figures come from the worst process, the shared queue and feed from the freshest report, and
 * each process keeps its own line in `processes`.
 */
import type { EngineSnapshot, ProcessFigures } from '../../../common/snapshot';
import type { StallWindow } from '../../../common/stalls';
import { combineRequests } from '../../requests/combine';

export interface ProcessSnapshot {
  id: number;
  pid: number;
  snapshot: EngineSnapshot;
}

function sumOf<T extends object>(items: T[]): T {
  const total: Record<string, number> = {};
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (typeof value === 'number') total[key] = (total[key] ?? 0) + value;
    }
  }
  return total as T;
}

function maxOf<T extends object>(items: T[]): T {
  const top: Record<string, number> = {};
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (typeof value === 'number') top[key] = Math.max(top[key] ?? value, value);
    }
  }
  return top as T;
}

/** `list` is non-empty; `stalls` is the primary's own window over every process's stalls. */
export function combineSnapshots(list: ProcessSnapshot[], stalls?: StallWindow): EngineSnapshot {
  const sorted = [...list].sort((a, b) => a.id - b.id);
  const snaps = sorted.map((p) => p.snapshot);
  const freshest = snaps.reduce((a, b) => (b.time > a.time ? b : a));
  const newestFeed = snaps.reduce((a, b) => (b.feed.lastSeq > a.feed.lastSeq ? b : a));
  const caps = snaps.map((s) => s.sockets.max);
  const processes: ProcessFigures[] = sorted.map(({ id, pid, snapshot: s }) => ({
    id,
    pid,
    connections: s.connections,
    openSockets: s.sockets.open,
    eventLoop: s.eventLoop,
    cpu: s.cpu,
    rssBytes: s.memory.rssBytes,
  }));
  return {
    time: freshest.time,
    uptimeS: Math.max(...snaps.map((s) => s.uptimeS)),
    intervalMs: freshest.intervalMs,
    connections: sumOf(snaps.map((s) => s.connections)),
    sockets: {
      open: snaps.reduce((t, s) => t + s.sockets.open, 0),
      idle: snaps.reduce((t, s) => t + s.sockets.idle, 0),
      max: caps.some((c) => c === null) ? null : caps.reduce((t: number, c) => t + c!, 0),
      refusedAccepts: snaps.reduce((t, s) => t + s.sockets.refusedAccepts, 0),
    },
    eventLoop: maxOf(snaps.map((s) => s.eventLoop)),
    queue: freshest.queue,
    feed: newestFeed.feed,
    rates: sumOf(snaps.map((s) => s.rates)),
    bcrypt: sumOf(snaps.map((s) => s.bcrypt)),
    requests: combineRequests(snaps.map((s) => s.requests)),
    memory: sumOf(snaps.map((s) => s.memory)),
    cpu: { percent: Math.round(snaps.reduce((t, s) => t + s.cpu.percent, 0) * 10) / 10 },
    ...(stalls ? { stalls } : {}),
    processes,
  };
}
