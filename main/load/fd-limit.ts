/**
 * How many more sockets this process may open. Every simulated connection costs one file
 * descriptor in the generator, so a spawn that would pass the soft `ulimit -n` is refused (or
 * spread over more processes by the controller) instead of failing thousands of times with EMFILE.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { LoopscopeError } from '../../common/errors';
import { GENERATOR_FD_RESERVE } from '../../common/limits';

/** Sockets a process may still open: its limit less the reserve, what it holds and what it owes. */
export function freeFds(fd: { limit: number; base: number; demand: number }): number {
  return fd.limit - GENERATOR_FD_RESERVE - fd.base - fd.demand;
}

/** The soft RLIMIT_NOFILE of this process, read fresh each time (prlimit can change it live). */
export function readFdLimit(): number {
  if (process.platform === 'linux') {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    if (Number.isInteger(n) && n > 0) return n;
  }
  // Elsewhere ask the shell; its limit is the one this process inherited.
  const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(out);
}

/** Descriptors open right now, or null where the OS does not say cheaply. */
export function countOpenFds(): number | null {
  if (process.platform !== 'linux') return null;
  return readdirSync('/proc/self/fd').length;
}

export function fdLimitError(
  requested: number,
  available: number,
  limit: number,
  kind: string,
): LoopscopeError {
  return new LoopscopeError(
    'fd_limit',
    `cannot open ${requested} more ${kind} connection(s): each needs a file descriptor and only ` +
      `${Math.max(0, available)} are free under this process's limit of ${limit} (\`ulimit -n\`). ` +
      `raise it (e.g. \`ulimit -n 65536\`) or run more generator processes`,
    { requested, available: Math.max(0, available), limit },
  );
}
