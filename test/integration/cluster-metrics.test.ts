/**
 * docs/protocol.md §10 on /metrics: `serve --workers 2` (real processes, a private redis-server) answers
 * every scrape with every process's metrics, each sample labelled `worker="N"`, whichever process
 * the scrape lands on; the text passes `promtool check metrics`; the per-process figures are each
 * process's own (the sockets a test opens are counted once, on the process that holds them); a
 * killed worker's replacement appears under its new id.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { request, until } from './engine-client';
import { httpText } from './cluster-followers';
import { baseUrl, serve, type Child } from './serve-child';

const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version']).status === 0;
if (!hasPromtool)
  console.warn(`skipping the promtool check: ${PROMTOOL} is not installed (apt-get install prometheus)`);

let child: Child;
let base = '';
const sockets: WebSocket[] = [];

const metrics = async (): Promise<string> => (await request(`${base}/metrics`)).text;
const workers = async () =>
  (await request(`${base}/stats`)).json<{ workers: { id: number; pid: number }[] }>().workers;

/** `name{…worker="N"…} value` for every sample of one metric: worker id → the values' sum. */
function perWorker(text: string, name: string, labelFilter = ''): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = m[1]!;
    if (!labels.includes(labelFilter)) continue;
    const id = Number(/worker="(\d+)"/.exec(labels)?.[1]);
    out.set(id, (out.get(id) ?? 0) + Number(m[2]));
  }
  return out;
}

beforeAll(async () => {
  child = serve(['--port', '0', '--workers', '2']);
  base = await baseUrl(child, 85_000);
  // The port answers once one worker listens; the second may still be starting.
  await until(async () => (await workers()).length === 2, 'both workers in /stats', 60_000);
}, 150_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  if (child.proc.exitCode === null) child.proc.kill('SIGTERM');
  expect(await child.exit).toBe(0);
}, 30_000);

describe('/metrics under serve --workers 2', () => {
  it.skipIf(!hasPromtool)('promtool check metrics accepts the merged text, scrape after scrape', async () => {
    for (let i = 0; i < 4; i++) {
      const text = await metrics();
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('every scrape, on whichever process, carries both processes, labelled by worker id', async () => {
    // A process that does not answer the primary within its deadline is left out of that view (on
    // a loaded machine, now and then): wait for a view with both, then scrape.
    let ids: number[] = [];
    await until(
      async () => {
        ids = (await workers()).map((w) => w.id).sort();
        return ids.length === 2;
      },
      'both workers in /stats',
      30_000,
    );
    for (let i = 0; i < 6; i++) {
      let text = await metrics();
      for (let retry = 0; retry < 3 && perWorker(text, 'process_cpu_user_seconds_total').size < 2; retry++)
        text = await metrics();
      // One HELP and one TYPE per family, however many processes.
      expect(text.match(/^# TYPE loopscope_event_loop_delay_p99_seconds /gm)).toHaveLength(1);
      expect([...perWorker(text, 'loopscope_event_loop_delay_p99_seconds').keys()].sort()).toEqual(ids);
      // prom-client's process metrics are per process too: two different pids' CPU.
      expect([...perWorker(text, 'process_cpu_user_seconds_total').keys()].sort()).toEqual(ids);
    }
  });

  it('each process counts its own sockets: together the 20 opened, each some (round-robin)', async () => {
    const wsUrl = `${base.replace('http', 'ws')}/ws/feed`;
    for (let i = 0; i < 20; i++) {
      const socket = new WebSocket(wsUrl);
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
    }
    let open = new Map<number, number>();
    await until(
      async () => {
        open = perWorker(await metrics(), 'loopscope_connections', 'kind="wsFeed"');
        return [...open.values()].reduce((a, b) => a + b, 0) === 20;
      },
      'the 20 feed sockets in /metrics',
      20_000,
    );
    expect(open.size).toBe(2);
    expect([...open.values()].every((n) => n > 0)).toBe(true);
  });

  it('/stats sockets are summed over the processes: every answer counts all 20, whichever process gives it', async () => {
    type Sockets = { open: number; idle: number };
    type Body = { sockets: Sockets; workers: { pid: number; sockets?: Sockets }[] };
    // Fresh connections each time: round-robin hands them to both processes in turn.
    const stats = async (): Promise<Body> =>
      JSON.parse((await httpText(`${base}/stats`, { timeoutMs: 5_000 })).text) as Body;
    // Each process learns the other's figures once a sample (through the primary): wait until both
    // have, i.e. several answers in a row count all 20.
    await until(
      async () => {
        for (let i = 0; i < 4; i++) if ((await stats()).sockets.open < 20) return false;
        return true;
      },
      'answers from both processes with all 20 sockets',
      20_000,
    );
    const answers: Body[] = [];
    for (let i = 0; i < 8; i++) answers.push(await stats());
    for (const body of answers) {
      expect(body.workers).toHaveLength(2);
      const perProcess = body.workers.map((w) => w.sockets?.open ?? Number.NaN);
      // Each process's own figure is in its entry; the top-level one is their sum, never one of them.
      expect(body.sockets.open, JSON.stringify(perProcess)).toBe(perProcess[0]! + perProcess[1]!);
      expect(body.sockets.open, JSON.stringify(body.workers)).toBeGreaterThanOrEqual(20);
    }
  });

  it("a killed worker's replacement is scraped under its new id", async () => {
    const before = await workers();
    const victim = before[0]!;
    process.kill(victim.pid, 'SIGKILL');
    let ids: number[] = [];
    await until(
      async () => {
        try {
          // With a deadline: a connection handed to the process as it died may never be answered.
          const text = (await httpText(`${base}/metrics`, { timeoutMs: 5_000 })).text;
          ids = [...perWorker(text, 'loopscope_uptime_seconds').keys()].sort();
        } catch {
          return false; // a scrape that met the dying process
        }
        return ids.length === 2 && !ids.includes(victim.id);
      },
      'the replacement in /metrics',
      45_000,
    );
    expect(Math.max(...ids)).toBeGreaterThan(Math.max(...before.map((w) => w.id)));
  }, 60_000);
});
