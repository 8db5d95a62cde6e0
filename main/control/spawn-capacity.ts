/**
 * Before the app spawns clients: can this box hold them? The generator's side (descriptors, ports,
 * memory: main/load/capacity.ts) and, when they aim at the demo server, the server's side: its
 * processes refuse connections past their socket caps, so a spawn past the sum would fail by the
 * thousand. Refused in words, naming what to change, before a client starts.
 *
 * Plain Node: never imports electron.
 */
import { LoopscopeError } from '../../common/errors';
import type { LoadReport } from '../../common/load';
import { planGenerator, type BoxLimits } from '../load/capacity';
import { AUTO_MAX_PROCESSES } from '../load/controller';

export interface SpawnFacts {
  /** Clients the generator holds or is opening now (every kind). */
  clients: number;
  /** The demo server, when the spawn aims at it: its open sockets, their cap (null: none), processes. */
  server: { open: number; max: number | null; workers: number; maxWorkers: number } | null;
  /** Source addresses the target allows (16 for a 127.x address). */
  sourceAddresses: number;
  box: BoxLimits;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** Clients of every kind a report counts as active or still to open. */
export function clientsIn(report: LoadReport | null): number {
  if (!report) return 0;
  return Object.values(report.kinds).reduce((sum, k) => sum + (k ? k.active + k.pending : 0), 0);
}

export function checkSpawn(count: number, facts: SpawnFacts): void {
  const problems: string[] = [];
  const plan = planGenerator(
    {
      connections: facts.clients + count,
      processes: 'auto',
      autoMax: AUTO_MAX_PROCESSES,
      sourceAddresses: facts.sourceAddresses,
    },
    facts.box,
  );
  problems.push(...plan.problems);
  const server = facts.server;
  if (server && server.max !== null) {
    // Open sockets count the clients already up; those still opening are not in them yet.
    const free = server.max - Math.max(server.open, facts.clients);
    if (count > free) {
      const perProcess = server.max / server.workers;
      const needed = Math.ceil((Math.max(server.open, facts.clients) + count) / perProcess);
      const fix =
        needed <= server.maxWorkers
          ? `Set Workers to ${needed} (each server process holds ${n(perProcess)}), or spawn fewer`
          : `Its ${server.maxWorkers} processes at most (one per core) hold ${n(server.maxWorkers * perProcess)}: ` +
            `start \`npm run serve -- --no-dashboard --connections ${Math.max(server.open, facts.clients) + count}\`, ` +
            'which runs as many server processes as that takes, and set it as the Target; or raise ' +
            '`ulimit -n` before starting Loopscope, or spawn fewer';
      problems.push(
        `the demo server holds ${n(server.max)} connections (${server.workers} process` +
          `${server.workers === 1 ? '' : 'es'} under ulimit -n ${n(facts.box.fdLimit)}), ` +
          `${n(Math.max(0, free))} of them free. ${fix}`,
      );
    }
  }
  if (problems.length > 0)
    throw new LoopscopeError(
      'beyond_box_limits',
      `Not spawned: ${n(count)} more clients do not fit. ${problems.join('. ')}.`,
      { problems },
    );
}
