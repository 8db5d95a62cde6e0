/**
 * Resident memory of processes, from /proc (Linux): the whole table, a process tree, or a set of
 * pids. The benches judge memory by RSS, the figure the kernel charges a process.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  /** VmRSS in bytes. */
  rss: number;
  /** The command line, arguments joined by spaces. */
  cmd: string;
}

/** Every process readable now; one that ends between the listing and the read is left out. */
export function processTable(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      out.push({
        pid: Number(name),
        ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]),
        rss: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024,
        cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' '),
      });
    } catch {
      // ended between the listing and the read
    }
  }
  return out;
}

/** `root` and every process descending from it. */
export function treeOf(root: number, table: readonly Proc[] = processTable()): Proc[] {
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return table.filter((p) => inTree.has(p.pid));
}

/** RSS of `root` and every descendant, in bytes. */
export function treeRss(root: number): number {
  return treeOf(root).reduce((sum, p) => sum + p.rss, 0);
}

/** RSS of these pids (and, with `trees`, their descendants), in bytes. */
export function rssOf(pids: readonly number[], trees = false): number {
  const table = processTable();
  const chosen = trees
    ? pids.flatMap((pid) => treeOf(pid, table))
    : table.filter((p) => pids.includes(p.pid));
  return chosen.reduce((sum, p) => sum + p.rss, 0);
}
