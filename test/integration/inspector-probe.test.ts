/**
 * The "Watch a process" listing finds open inspectors without sending anything to the user's own
 * servers: it asks only ports that can be an inspector (9229, the ports --inspect… name in the
 * command line or NODE_OPTIONS). Real Node children, each a plain HTTP server counting the
 * connections this test process makes to it (test/fixtures/counting-server.mjs), with their
 * inspector opened every way a user does: --inspect=HOST:PORT, NODE_OPTIONS, SIGUSR1 after
 * --inspect-port, SIGUSR1 on the default 9229, and a random port (--inspect=…:0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_INSPECTOR_PORT } from '../../common/limits';
import { holderOf, listNodeProcesses, openInspector, type NodeProcess } from '../../main/attach/processes';
import { until } from './engine-client';

const COUNTING_SERVER = fileURLToPath(new URL('../fixtures/counting-server.mjs', import.meta.url));
const OPEN_IN_CODE = fileURLToPath(new URL('../fixtures/open-inspector-in-code.mjs', import.meta.url));

interface Counts {
  connections: number;
  fromWatcher: number;
  unattributed: number;
  paths: string[];
}

interface Server {
  child: ChildProcess;
  pid: number;
  httpPort: number;
  stderr: () => string;
  counts: () => Promise<Counts>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A port free a moment ago (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startServer(nodeArgs: string[], nodeOptions = ''): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, COUNTING_SERVER], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: nodeOptions, WATCHER_PID: String(process.pid) },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  await until(() => /listening \d+/.test(out) || child.exitCode !== null, 'the server to listen', 20_000);
  const m = /listening (\d+)/.exec(out);
  if (!m) throw new Error(`counting-server exited (${child.exitCode}): ${err}`);
  return {
    child,
    pid: child.pid!,
    httpPort: Number(m[1]),
    stderr: () => err,
    counts: () =>
      new Promise<Counts>((resolve) => {
        child.once('message', (c) => resolve(c as Counts));
        child.send('counts');
      }),
  };
}

/** The port node says its inspector listens on, waited for on its stderr. */
async function inspectorPortOf(s: Server): Promise<number> {
  const said = /Debugger listening on ws:\/\/[^/]*:(\d+)\/|Starting inspector on (\S+) failed: (.*)/;
  await until(() => said.test(s.stderr()), 'node to report its inspector', 20_000);
  const m = said.exec(s.stderr())!;
  if (!m[1]) throw new Error(`pid ${s.pid} could not open its inspector on ${m[2]}: ${m[3]}`);
  return Number(m[1]);
}

const rowOf = (list: NodeProcess[], s: Server) => list.find((p) => p.pid === s.pid);

/**
 * The listing, read again (at most 5 times) until each server shows the inspector port expected:
 * each probe gives an inspector 300 ms, which a loaded machine can exceed. Returns how many
 * listings it took.
 */
async function listUntil(expected: [Server, number | null][]): Promise<number> {
  let list: NodeProcess[] = [];
  for (let n = 1; n <= 5; n++) {
    list = await listNodeProcesses();
    if (expected.every(([s, port]) => rowOf(list, s)?.inspectorPort === port)) return n;
  }
  const rows = expected.map(([s, port]) => ({ pid: s.pid, expected: port, listed: rowOf(list, s) }));
  throw new Error(`the listing did not show: ${JSON.stringify(rows)}`);
}

/** Nothing from this process reached the server; `unattributed` counts a peer gone before it was seen. */
async function untouched(s: Server): Promise<void> {
  const c = await s.counts();
  expect(c, `pid ${s.pid}'s server on ${s.httpPort}: ${JSON.stringify(c)}`).toMatchObject({
    fromWatcher: 0,
    unattributed: 0,
  });
}

describe('process listing: inspector probes only where an inspector can be', () => {
  it('finds inspectors opened by --inspect, NODE_OPTIONS and SIGUSR1, and never asks a plain server', async () => {
    const [cliPort, envPort, laterPort] = [await freePort(), await freePort(), await freePort()];
    const [plain, cli, env, later, random] = await Promise.all([
      startServer([]),
      startServer([`--inspect=127.0.0.1:${cliPort}`]),
      startServer([], `--inspect=127.0.0.1:${envPort}`),
      startServer([`--inspect-port=127.0.0.1:${laterPort}`]),
      startServer(['--inspect=127.0.0.1:0']),
    ]);
    // Opened after start, as attach does: on the port --inspect-port set.
    process.kill(later.pid, 'SIGUSR1');
    expect(await inspectorPortOf(cli)).toBe(cliPort);
    expect(await inspectorPortOf(env)).toBe(envPort);
    expect(await inspectorPortOf(later)).toBe(laterPort);
    const randomPort = await inspectorPortOf(random);

    const listings = await listUntil([
      [plain, null],
      [cli, cliPort],
      [env, envPort],
      [later, laterPort],
      [random, randomPort],
    ]);

    for (const s of [plain, cli, env, later]) await untouched(s);
    // A random inspector port cannot be known from outside: that process's own ports are asked,
    // one request each until the inspector answers, so its server may see one per listing.
    expect((await random.counts()).fromWatcher).toBeLessThanOrEqual(listings);
  }, 60_000);

  it('attach to a process whose code opened its inspector on a port of its own still finds it', async () => {
    const codePort = await freePort();
    const s = await startServer(['--import', OPEN_IN_CODE]);
    s.child.send({ open: codePort });
    expect(await inspectorPortOf(s)).toBe(codePort);
    // Nothing tells the listing that port: it shows closed, and the server is not asked.
    await listUntil([[s, null]]);
    await untouched(s);
    // Attach on an explicit pid: SIGUSR1 opens nothing new, then that process's own ports are asked.
    const { target, opened } = await openInspector(s.pid);
    expect({ port: target.port, opened }).toEqual({ port: codePort, opened: false });
  }, 60_000);

  it('finds an inspector SIGUSR1 opened on the default port 9229', async (ctx) => {
    const holder = holderOf(DEFAULT_INSPECTOR_PORT);
    if (holder !== null) ctx.skip(`port ${DEFAULT_INSPECTOR_PORT} is held by pid ${holder}`);
    const [plain, signalled] = await Promise.all([startServer([]), startServer([])]);
    process.kill(signalled.pid, 'SIGUSR1');
    let port: number;
    try {
      port = await inspectorPortOf(signalled);
    } catch (e) {
      // Another program took 9229 between the check and the signal.
      return ctx.skip(`no inspector on ${DEFAULT_INSPECTOR_PORT}: ${(e as Error).message}`);
    }
    expect(port).toBe(DEFAULT_INSPECTOR_PORT);

    await listUntil([
      [signalled, DEFAULT_INSPECTOR_PORT],
      [plain, null],
    ]);
    await untouched(plain);
    await untouched(signalled);
  }, 60_000);
});
