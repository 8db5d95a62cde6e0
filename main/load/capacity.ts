/**
 * What this box can hold, asked before anything starts: `load` and `serve --connections` size their
 * processes from it and refuse, in words, what it cannot hold. Three limits matter for many
 * connections on loopback:
 *
 * - file descriptors: one per socket, `ulimit -n` per process, so many sockets take many processes;
 * - ephemeral ports: a client socket needs a local port unique for its source address, so one
 *   source address reaches at most `ip_local_port_range` connections (the generator spreads over
 *   127.0.0.1 … 127.0.0.16 when the target is a 127.x address: main/load/target.ts);
 * - memory: what each connection costs on either side (measured: bench/RESULTS.md, 100,000 run).
 *
 * The planning functions are pure; readBoxLimits() reads the facts.
 */
import { readFileSync } from 'node:fs';
import { LoopscopeError } from '../../common/errors';
import os from 'node:os';
import {
  GENERATOR_BYTES_PER_CONNECTION,
  GENERATOR_FD_RESERVE,
  PROCESS_BASE_FDS,
  PROCESS_BASE_BYTES,
  SERVER_BYTES_PER_CONNECTION,
  SERVER_WORKERS,
} from '../../common/limits';
import { socketsUnder } from '../engine/server/socket-limits';
import { readFdLimit } from './fd-limit';

export interface BoxLimits {
  /** Soft RLIMIT_NOFILE of a process started from here (children inherit it). */
  fdLimit: number;
  /** Local ports one source address can use toward one target (the ephemeral range). */
  ephemeralPorts: number;
  /** Where the range comes from, for messages: e.g. "ip_local_port_range 32768–60999". */
  portsSource: string;
  /** Memory the kernel could give without swapping (MemAvailable). */
  memAvailableBytes: number;
  cores: number;
}

/** macOS and the IANA range (49152–65535); Linux says its own in /proc. */
const DEFAULT_EPHEMERAL_PORTS = 16_384;
/** Planned memory may take this share of what is available: the rest is the box's own. */
const MEMORY_SHARE = 0.8;

export function readBoxLimits(): BoxLimits {
  let ephemeralPorts = DEFAULT_EPHEMERAL_PORTS;
  let portsSource = 'the IANA ephemeral range 49152–65535';
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && hi! >= lo!) {
      ephemeralPorts = hi! - lo! + 1;
      portsSource = `ip_local_port_range ${lo}–${hi}`;
    }
  } catch {
    // not Linux: the default range
  }
  let memAvailableBytes = os.freemem();
  try {
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) memAvailableBytes = Number(kb) * 1024;
  } catch {
    // os.freemem() then
  }
  return {
    fdLimit: readFdLimit(),
    ephemeralPorts,
    portsSource,
    memAvailableBytes,
    cores: os.availableParallelism(),
  };
}

export interface GeneratorPlan {
  connections: number;
  /** Generator processes the run takes (what 'auto' forks), or the fixed count asked. */
  processes: number;
  /** Sockets one generator process may hold. */
  perProcess: number;
  /** Source addresses the connections spread over (1: the OS picks, one address). */
  sourceAddresses: number;
  /** Estimated memory of the generator processes. */
  memoryBytes: number;
  /** What the box cannot hold, in words; empty when it can. */
  problems: string[];
}

export interface GeneratorAsk {
  connections: number;
  /** --processes: a count, or 'auto' (as many as the descriptors need, up to `autoMax`). */
  processes: number | 'auto';
  autoMax: number;
  /** Source addresses the target allows (main/load/target.ts): 16 for 127.x, else 1. */
  sourceAddresses: number;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
export const gb = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/** Sockets one process may open under `fdLimit`: the limit less the generator's reserve and its own. */
export function generatorSocketsPerProcess(fdLimit: number): number {
  return Math.max(0, fdLimit - GENERATOR_FD_RESERVE - PROCESS_BASE_FDS);
}

export function planGenerator(ask: GeneratorAsk, box: BoxLimits): GeneratorPlan {
  const perProcess = generatorSocketsPerProcess(box.fdLimit);
  const needed = perProcess === 0 ? Infinity : Math.max(1, Math.ceil(ask.connections / perProcess));
  const processes = ask.processes === 'auto' ? Math.min(needed, ask.autoMax) : ask.processes;
  const problems: string[] = [];
  if (needed > processes) {
    const most = n(processes * perProcess);
    problems.push(
      ask.processes === 'auto'
        ? `file descriptors: ${n(ask.connections)} connections need ${needed} generator processes of ` +
            `${n(perProcess)} sockets each (ulimit -n ${n(box.fdLimit)}); at most ${ask.autoMax} are forked, ` +
            `which hold ${most}. Raise \`ulimit -n\` or ask for fewer connections`
        : `file descriptors: --processes ${processes} hold ${most} sockets (${n(perProcess)} each under ` +
            `ulimit -n ${n(box.fdLimit)}), not ${n(ask.connections)}. Use --processes ${needed} or auto`,
    );
  }
  const ports = ask.sourceAddresses * box.ephemeralPorts;
  if (ask.connections > ports) {
    problems.push(
      `ports: ${n(ask.connections)} connections to one target need as many local ports; ` +
        (ask.sourceAddresses === 1
          ? `from one source address there are ${n(box.ephemeralPorts)} (${box.portsSource}). ` +
            'Aim at a 127.x address (e.g. 127.0.0.1, not localhost or ::1): Loopscope then spreads ' +
            'the connections over 16 source addresses'
          : `${ask.sourceAddresses} source addresses × ${n(box.ephemeralPorts)} (${box.portsSource}) give ${n(ports)}`),
    );
  }
  const memoryBytes = processes * PROCESS_BASE_BYTES + ask.connections * GENERATOR_BYTES_PER_CONNECTION;
  if (memoryBytes > box.memAvailableBytes * MEMORY_SHARE) {
    problems.push(
      `memory: ${n(ask.connections)} connections take about ${gb(memoryBytes)} in the generator ` +
        `(${n(GENERATOR_BYTES_PER_CONNECTION / 1024)} KB each), more than ${Math.round(MEMORY_SHARE * 100)}% ` +
        `of the ${gb(box.memAvailableBytes)} available`,
    );
  }
  return {
    connections: ask.connections,
    processes,
    perProcess,
    sourceAddresses: ask.sourceAddresses,
    memoryBytes,
    problems,
  };
}

export interface ServerPlan {
  connections: number;
  /** Server processes (node:cluster workers); 1 = no workers needed. */
  workers: number;
  /** Sockets one server process holds before it refuses (socket-limits.ts). */
  perProcess: number;
  memoryBytes: number;
  problems: string[];
}

/**
 * Server processes for `connections` concurrent connections. `workers`: the count asked (checked),
 * or null (chosen: as many as the descriptors need, at least one per core when more than one).
 * node:cluster hands connections to workers in turn, so each holds an even share.
 */
export function planServer(connections: number, workers: number | null, box: BoxLimits): ServerPlan {
  const perProcess = socketsUnder(box.fdLimit);
  const needed = Math.max(1, Math.ceil(connections / perProcess));
  const chosen = workers ?? (needed === 1 ? 1 : Math.max(needed, Math.min(box.cores, SERVER_WORKERS.max)));
  const count = Math.min(chosen, SERVER_WORKERS.max);
  const problems: string[] = [];
  if (needed > count) {
    problems.push(
      workers === null
        ? `file descriptors: ${n(connections)} connections need ${needed} server processes of ${n(perProcess)} ` +
            `sockets each (ulimit -n ${n(box.fdLimit)}), more than the ${SERVER_WORKERS.max} allowed. ` +
            'Raise `ulimit -n` or plan for fewer connections'
        : `file descriptors: --workers ${workers} hold ${n(count * perProcess)} connections (${n(perProcess)} ` +
            `each under ulimit -n ${n(box.fdLimit)}), not ${n(connections)}. Use --workers ${needed}`,
    );
  }
  const memoryBytes = count * PROCESS_BASE_BYTES + connections * SERVER_BYTES_PER_CONNECTION;
  if (memoryBytes > box.memAvailableBytes * MEMORY_SHARE) {
    problems.push(
      `memory: ${n(connections)} connections take about ${gb(memoryBytes)} in the server ` +
        `(${n(SERVER_BYTES_PER_CONNECTION / 1024)} KB each), more than ${Math.round(MEMORY_SHARE * 100)}% ` +
        `of the ${gb(box.memAvailableBytes)} available`,
    );
  }
  return { connections, workers: count, perProcess, memoryBytes, problems };
}

/** Throws beyond_box_limits, listing a plan's problems one per line, when it has any. */
export function refuseBeyondLimits(plan: { connections: number; problems: string[] }): void {
  if (plan.problems.length === 0) return;
  throw new LoopscopeError(
    'beyond_box_limits',
    `this box cannot hold ${n(plan.connections)} connections:\n  ${plan.problems.join('\n  ')}`,
    { problems: plan.problems },
  );
}

/** One line saying what a plan chose, for stderr and the app's notice. */
export function generatorPlanLine(plan: GeneratorPlan, box: BoxLimits): string {
  const sources =
    plan.sourceAddresses > 1
      ? `source addresses 127.0.0.1–127.0.0.${plan.sourceAddresses}`
      : 'one source address';
  return (
    `${n(plan.connections)} connections: ${plan.processes} generator process${plan.processes === 1 ? '' : 'es'} ` +
    `(up to ${n(plan.perProcess)} sockets each, ulimit -n ${n(box.fdLimit)}), ${sources}, ` +
    `about ${gb(plan.memoryBytes)}`
  );
}

export function serverPlanLine(plan: ServerPlan, box: BoxLimits): string {
  return (
    `planned for ${n(plan.connections)} connections: ${plan.workers} server process${plan.workers === 1 ? '' : 'es'} ` +
    `(up to ${n(plan.perProcess)} sockets each, ulimit -n ${n(box.fdLimit)}), about ${gb(plan.memoryBytes)}`
  );
}
