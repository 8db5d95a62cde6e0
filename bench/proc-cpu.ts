/**
 * CPU time of processes, threads and process trees from /proc, for the benchmarks: what each side
 * of a measurement used, whatever else the machine runs. /proc counts in clock ticks of 10 ms
 * (USER_HZ is 100 on Linux whatever the kernel's HZ).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat (or one thread's) after the command name (field 3, state, is index 0). */
function statFields(pid: number, tid?: number): string[] {
  // A process's own stat sums its threads; a task's is that thread alone.
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * utime + stime of a process from /proc/<pid>/stat (100 clock ticks a second), in ms. The process's
 * own stat sums all its threads, worker threads included.
 */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU of a process and all its descendants, in ms: utime + stime of each live one, plus cutime +
 * cstime (children that exited and were waited for), so a child that ends between two readings
 * is still charged. Take differences of two readings.
 */
export function processTreeCpuMs(root: number): number {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      parent.set(pid, Number(statFields(pid)[1]));
    } catch {
      // It exited while we listed /proc.
    }
  }
  const tree = new Set([root]);
  // Parents before children is not guaranteed in /proc's order: repeat until nothing joins.
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let ms = 0;
  for (const pid of tree) {
    try {
      const f = statFields(pid);
      ms += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
    } catch {
      // Exited since the listing: its parent's cutime/cstime has it once it is waited for.
    }
  }
  return ms;
}

/** utime + stime of one thread of a process (the main thread's id is the pid), in ms. */
export function threadCpuMs(pid: number, tid: number): number {
  const fields = statFields(pid, tid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
