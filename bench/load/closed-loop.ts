/** Runs one closed-loop job (closed-loop-child.ts) in its own process and returns its figures. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ClosedLoopJob {
  mode: 'prime' | 'hello';
  url: string;
  connections: number;
  /** Requests each connection keeps outstanding. */
  inFlight: number;
  /** Load before measuring starts (connections open, JIT warm). */
  warmupMs: number;
  durationMs: number;
}

export interface ClosedLoopResult {
  replies: number;
  perS: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Answers that were not the expected ones. */
  wrong: number;
  /** Socket errors. */
  errors: number;
}

/** What the child sends: a mark when the measured window opens, then its figures. */
export type ClosedLoopMessage = { type: 'measuring' } | ({ type: 'result' } & ClosedLoopResult);

export interface MeasuredResult extends ClosedLoopResult {
  /** Server CPU (user + system) per reply over the measured window, µs; null without a server pid. */
  serverCpuUsPerReply: number | null;
}

const CHILD = fileURLToPath(new URL('./closed-loop-child.ts', import.meta.url));

const CLOCK_TICKS_PER_S = 100;

/** utime + stime of a process from /proc/<pid>/stat, in ms (the fields after the command name). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/**
 * `serverPid`: also measure the server's CPU per reply, which varies far less than throughput
 * when other processes compete for the cores.
 */
export async function runClosedLoop(job: ClosedLoopJob, serverPid?: number): Promise<MeasuredResult> {
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), job.warmupMs + job.durationMs + 30_000);
  try {
    let cpuAtStart: number | null = null;
    const answer = new Promise<ClosedLoopResult>((resolve) => {
      child.on('message', (msg: ClosedLoopMessage) => {
        if (msg.type === 'measuring') {
          if (serverPid !== undefined) cpuAtStart = cpuMs(serverPid);
          return;
        }
        const { type: _type, ...result } = msg;
        resolve(result);
      });
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`closed-loop client exited (${String(code)}) without a result`);
    });
    child.send(job);
    const result = await Promise.race([answer, exited]);
    const serverCpuUsPerReply =
      serverPid !== undefined && cpuAtStart !== null && result.replies > 0
        ? ((cpuMs(serverPid) - cpuAtStart) * 1000) / result.replies
        : null;
    return { ...result, serverCpuUsPerReply };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) {
      const exit = once(child, 'exit');
      child.kill();
      await exit;
    }
  }
}
