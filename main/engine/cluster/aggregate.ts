/**
 * /stats over several server processes (docs/protocol.md §10): the same shape summed over processes,
 * event-loop figures from the worst process, plus one `workers` entry per process.
 */
import type { ConnectionCounts, EventLoopStats, RequestStats, SocketStats } from '../../../common/snapshot';
import { combineRequests } from '../../requests/combine';

/** What one process reports: its own /stats body. */
export type ProcessStats = Record<string, unknown> & {
  connections: ConnectionCounts;
  eventLoop: EventLoopStats;
  cpu: { percent: number };
  memory: { rssBytes: number; heapUsedBytes: number };
  rates?: Record<string, number>;
  sockets?: SocketStats;
  bcrypt?: Record<string, number>;
  requests?: RequestStats;
  stalls?: { count: number; totalMs: number; maxMs: number };
  feed?: { lastSeq: number; oldestSeq: number };
};

export interface WorkerStats {
  id: number;
  pid: number;
  stats: ProcessStats;
}

function sumInto(target: Record<string, number>, add: Record<string, number> | undefined): void {
  for (const [key, value] of Object.entries(add ?? {})) {
    if (typeof value === 'number') target[key] = (target[key] ?? 0) + value;
  }
}

/** `own` is the answering process; `all` includes it (by id) alongside the others' latest reports. */
export function combineStats(own: WorkerStats, all: WorkerStats[]): Record<string, unknown> {
  const list = [own, ...all.filter((w) => w.id !== own.id)].sort((a, b) => a.id - b.id);
  const connections: Record<string, number> = {};
  const rates: Record<string, number> = {};
  const memory: Record<string, number> = {};
  const bcrypt: Record<string, number> = {};
  // Every process holds its own sockets: the answering one's alone would be half the truth under
  // two processes, and a different half on each request.
  const sockets: SocketStats = { open: 0, idle: 0, max: 0, refusedAccepts: 0 };
  const eventLoop: EventLoopStats = { p50Ms: 0, p99Ms: 0, maxMs: 0, utilization: 0 };
  const stalls = { count: 0, totalMs: 0, maxMs: 0 };
  let cpu = 0;
  let lastSeq = 0;
  let oldestSeq = 0;
  for (const { stats } of list) {
    sumInto(connections, stats.connections as unknown as Record<string, number>);
    sumInto(rates, stats.rates);
    sumInto(memory, stats.memory);
    sumInto(bcrypt, stats.bcrypt);
    if (stats.sockets) {
      sockets.open += stats.sockets.open;
      sockets.idle += stats.sockets.idle;
      sockets.refusedAccepts += stats.sockets.refusedAccepts;
      sockets.max =
        sockets.max === null || stats.sockets.max === null ? null : sockets.max + stats.sockets.max;
    }
    for (const key of ['p50Ms', 'p99Ms', 'maxMs', 'utilization'] as const) {
      eventLoop[key] = Math.max(eventLoop[key], stats.eventLoop[key]);
    }
    cpu += stats.cpu.percent;
    if (stats.stalls) {
      stalls.count += stats.stalls.count;
      stalls.totalMs += stats.stalls.totalMs;
      stalls.maxMs = Math.max(stalls.maxMs, stats.stalls.maxMs);
    }
    if (stats.feed && stats.feed.lastSeq >= lastSeq) {
      lastSeq = stats.feed.lastSeq;
      oldestSeq = stats.feed.oldestSeq;
    }
  }
  return {
    ...own.stats,
    connections,
    eventLoop,
    rates,
    memory,
    ...(own.stats.sockets ? { sockets } : {}),
    ...(own.stats.bcrypt ? { bcrypt } : {}),
    ...(own.stats.requests ? { requests: combineRequests(list.map((w) => w.stats.requests)) } : {}),
    cpu: { percent: Math.round(cpu * 10) / 10 },
    feed: { lastSeq, oldestSeq },
    stalls,
    workers: list.map(({ id, pid, stats }) => ({
      id,
      pid,
      connections: stats.connections,
      ...(stats.sockets ? { sockets: stats.sockets } : {}),
      eventLoop: stats.eventLoop,
      cpu: stats.cpu,
      memory: stats.memory,
    })),
  };
}
