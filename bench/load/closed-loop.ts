/** Runs one closed-loop job (closed-loop-child.ts) in its own process and returns its figures. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
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

const CHILD = fileURLToPath(new URL('./closed-loop-child.ts', import.meta.url));

export async function runClosedLoop(job: ClosedLoopJob): Promise<ClosedLoopResult> {
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), job.warmupMs + job.durationMs + 30_000);
  try {
    const answer = once(child, 'message') as Promise<[ClosedLoopResult]>;
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`closed-loop client exited (${String(code)}) without a result`);
    });
    child.send(job);
    const [result] = await Promise.race([answer, exited]);
    return result;
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) {
      const exit = once(child, 'exit');
      child.kill();
      await exit;
    }
  }
}
