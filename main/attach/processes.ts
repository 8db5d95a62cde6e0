/**
 * Local Node processes and their inspectors, read from Linux's /proc: who owns a process, whether
 * it is Node, which loopback ports it listens on, and which of those is its inspector. Attach
 * signals a process only after these checks: SIGUSR1 opens a Node process's inspector but kills
 * most other programs, and the inspector is code execution, so only the user's own processes.
 *
 * Finding an inspector means asking a port for /json/list, an HTTP request that lands in whatever
 * listens there: only ports that can be an inspector are asked (inspector-ports.ts), never the
 * user's own servers, except in a process that asked node for a random inspector port.
 */
import { get } from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { LoopscopeError } from '../../common/errors';
import {
  INSPECTOR_LATE_OPEN_MS,
  INSPECTOR_OPEN_TIMEOUT_MS,
  RANDOM_INSPECTOR_PORTS_ASKED,
} from '../../common/limits';
import { inspectorPortsFrom, type InspectorPorts } from './inspector-ports';

export interface NodeProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
  /** The loopback port of its inspector, when one is open. */
  inspectorPort: number | null;
}

export interface InspectorTarget {
  port: number;
  webSocketDebuggerUrl: string;
}

/** A file's text, or null when it is gone or unreadable (a /proc entry of an exited process). */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The real uid a process runs as, or null when it does not exist. */
function uidOf(pid: number): number | null {
  const status = readText(`/proc/${pid}/status`);
  const m = status ? /^Uid:\s+(\d+)/m.exec(status) : null;
  return m ? Number(m[1]) : null;
}

function commandOf(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
}

/**
 * Where the process's inspector can listen: from its command line and the NODE_OPTIONS it started
 * with (/proc/P/environ, readable for the user's own processes; node reads it only at start).
 */
export function inspectorPortsOf(pid: number): InspectorPorts {
  // Split on NUL only, keeping empty arguments (`-e ''`): dropping one would shift the options.
  const argv = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').slice(0, -1);
  const environ = (readText(`/proc/${pid}/environ`) ?? '').split('\0');
  const nodeOptions = environ.find((v) => v.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);
  return inspectorPortsFrom(argv, nodeOptions ?? null);
}

function isNode(pid: number): boolean {
  try {
    return /^node(\d+)?$/.test(basename(readlinkSync(`/proc/${pid}/exe`)));
  } catch {
    return false;
  }
}

/** Refuses anything attach must not signal or connect to; returns the command line. */
export function checkProcess(pid: number): string {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new LoopscopeError('no_such_process', `pid must be a positive integer, got ${pid}`);
  if (pid === process.pid) throw new LoopscopeError('not_node_process', 'attach cannot watch itself');
  const uid = uidOf(pid);
  if (uid === null) throw new LoopscopeError('no_such_process', `no process with pid ${pid}`);
  if (uid !== process.getuid!())
    throw new LoopscopeError('not_same_user', `pid ${pid} belongs to another user (uid ${uid})`);
  if (!isNode(pid)) throw new LoopscopeError('not_node_process', `pid ${pid} is not a node process`);
  return commandOf(pid);
}

/** inode → port of every listening TCP socket on a loopback address. */
function loopbackListeners(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = readText(file);
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A: LISTEN
      const [addr, portHex] = cols[1]!.split(':');
      const loopback =
        addr === '0100007F' || addr === '00000000000000000000000001000000' || addr!.endsWith('0100007F');
      if (loopback) out.set(cols[9]!, parseInt(portHex!, 16));
    }
  }
  return out;
}

/**
 * The loopback ports a process listens on (its sockets' inodes matched against /proc/net/tcp), in
 * the order of their file descriptors: an inspector opened at start has a lower one than the
 * servers the program opens. `listeners` lets a caller looking at many processes read
 * /proc/net/tcp once: on a machine with tens of thousands of connections it is that file, not the
 * fds, that costs.
 */
export function listeningPorts(pid: number, listeners = loopbackListeners()): number[] {
  const ports: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ports;
  }
  for (const fd of fds.sort((a, b) => Number(a) - Number(b))) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    const port = m ? listeners.get(m[1]!) : undefined;
    if (port !== undefined && !ports.includes(port)) ports.push(port);
  }
  return ports;
}

/**
 * The inspector target at 127.0.0.1:port, or null when nothing there speaks /json/list. One
 * request on a connection of its own, closed as soon as it is answered: the port may be any
 * server of the user's (a pooled keep-alive socket stayed open in it, where others could see it).
 */
export function inspectorAt(port: number, timeoutMs = 1_000): Promise<InspectorTarget | null> {
  return new Promise((resolve) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: '/json/list',
        agent: false,
        timeout: timeoutMs,
        headers: { connection: 'close' },
      },
      (res) => {
        if (res.statusCode !== 200) {
          req.destroy();
          resolve(null);
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 1_000_000) req.destroy();
        });
        res.on('end', () => {
          try {
            const list = JSON.parse(body) as Array<{ webSocketDebuggerUrl?: string; type?: string }>;
            const target = list.find((t) => t.type === 'node' && typeof t.webSocketDebuggerUrl === 'string');
            resolve(target ? { port, webSocketDebuggerUrl: target.webSocketDebuggerUrl! } : null);
          } catch {
            resolve(null);
          }
        });
        res.on('close', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.on('close', () => resolve(null));
  });
}

/**
 * The ports worth asking for the process's inspector: of those it listens on, the ones its
 * options name (the port in force first). When they asked for a random port (`--inspect=0`),
 * nothing from outside tells the inspector from the program's own servers, so its ports are asked
 * in fd order, a bounded number: that process's user chose a random inspector port, and each of
 * its servers gets at most one request per listing, only until the inspector answers.
 */
function portsToAsk(pid: number, listeners: Map<string, number>): number[] {
  const own = listeningPorts(pid, listeners);
  const where = inspectorPortsOf(pid);
  if (where.port === 0) return own.slice(0, RANDOM_INSPECTOR_PORTS_ASKED);
  return [where.port, ...where.named].filter((p, i, all) => all.indexOf(p) === i && own.includes(p));
}

/** The process's open inspector, asked for only on ports where it can be (see portsToAsk). */
export async function findInspector(
  pid: number,
  listeners = loopbackListeners(),
): Promise<InspectorTarget | null> {
  for (const port of portsToAsk(pid, listeners)) {
    const target = await inspectorAt(port, 300);
    if (target) return target;
  }
  return null;
}

/** Which process (if any) holds a loopback port: named in the error when 9229 is taken. */
export function holderOf(port: number): number | null {
  const inode = [...loopbackListeners()].find(([, p]) => p === port)?.[0];
  if (!inode) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === `socket:[${inode}]`) return Number(entry);
      } catch {
        continue;
      }
    }
  }
  return null;
}

export interface OpenInspectorHooks {
  /** Called just before SIGUSR1 is sent: from then on, an inspector that opens is ours to close. */
  beforeSignal?(): void;
  /** Called once when the inspector has not opened after INSPECTOR_OPEN_TIMEOUT_MS. */
  onSlow?(text: string): void;
}

/** A node inspector answering on a port this process began listening on since `before`. */
async function freshInspector(
  pid: number,
  before: Set<number>,
  expected: number,
): Promise<InspectorTarget | null> {
  // Only ports this process began listening on since the signal, the one its options name
  // first. Another new one is asked too: a port set at runtime (process.debugPort) cannot be
  // read from outside, and this is the process the user chose, just asked to open it.
  const fresh = listeningPorts(pid).filter((p) => !before.has(p));
  for (const port of fresh.sort((a, b) => Number(b === expected) - Number(a === expected))) {
    const target = await inspectorAt(port, 300);
    if (target) return target;
  }
  return null;
}

/**
 * The process's inspector: the one already open, or one opened by SIGUSR1 (then `opened` is true
 * and detach closes it). Polls the process's own listening ports with a deadline.
 */
export async function openInspector(
  pid: number,
  hooks: OpenInspectorHooks = {},
): Promise<{ target: InspectorTarget; opened: boolean }> {
  checkProcess(pid);
  const existing = await findInspector(pid);
  if (existing) return { target: existing, opened: false };
  const expected = inspectorPortsOf(pid).port;
  const before = new Set(listeningPorts(pid));
  hooks.beforeSignal?.();
  process.kill(pid, 'SIGUSR1');
  const started = Date.now();
  let slow = false;
  for (;;) {
    const target = await freshInspector(pid, before, expected);
    if (target) return { target, opened: true };
    if (uidOf(pid) === null) throw new LoopscopeError('no_such_process', `pid ${pid} exited`);
    if (Date.now() - started >= INSPECTOR_LATE_OPEN_MS) break;
    if (!slow && Date.now() - started >= INSPECTOR_OPEN_TIMEOUT_MS) {
      // Its port is taken: the inspector will never open (node said so on its stderr).
      const holder = expected === 0 ? null : holderOf(expected);
      if (holder !== null && holder !== pid) break;
      slow = true;
      hooks.onSlow?.(
        `pid ${pid} has not opened its inspector after ${INSPECTOR_OPEN_TIMEOUT_MS / 1000} s: its event ` +
          `loop is probably blocked; waiting up to ${INSPECTOR_LATE_OPEN_MS / 1000} s in all`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  // Nothing new opened: its inspector may already be open on a port chosen in code
  // (inspector.open(port); SIGUSR1 then does nothing), which findInspector does not ask. Only
  // now, and only for this process the user chose, are its other ports asked.
  const asked = new Set(portsToAsk(pid, loopbackListeners()));
  for (const port of before) {
    if (asked.has(port)) continue;
    const target = await inspectorAt(port, 300);
    if (target) return { target, opened: false };
  }
  const holder = expected === 0 ? null : holderOf(expected);
  const waited = Date.now() - started;
  throw new LoopscopeError(
    'inspector_unavailable',
    holder !== null && holder !== pid
      ? `pid ${pid} did not open its inspector: port ${expected} is taken by pid ${holder}`
      : `pid ${pid} did not open its inspector within ${Math.round(waited / 1000)} s; if it opens ` +
          'later, the next attach to it closes it',
    { port: expected },
  );
}

/**
 * Node processes of this user, for the app's "Watch a process" list; never this process nor those
 * in `exclude`. Their inspectors are looked for all at once, so the list takes one probe's time.
 */
export async function listNodeProcesses(exclude: ReadonlySet<number> = new Set()): Promise<NodeProcess[]> {
  const me = process.getuid!();
  const listeners = loopbackListeners();
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || exclude.has(pid) || uidOf(pid) !== me || !isNode(pid)) continue;
    pids.push(pid);
  }
  return Promise.all(
    pids.map(async (pid) => {
      const inspector = await findInspector(pid, listeners);
      return { pid, command: commandOf(pid), inspectorPort: inspector?.port ?? null };
    }),
  );
}

/** The parent pid of a process, from /proc/P/stat (the field after the parenthesised name). */
function parentOf(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The name may itself hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/**
 * `root` and every process descended from it: the app's own tree (its load generator, cluster
 * workers), which the app never offers to watch.
 */
export function processTree(root: number = process.pid): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const tree = new Set<number>([root]);
  const todo = [root];
  while (todo.length > 0) {
    for (const child of children.get(todo.pop()!) ?? []) {
      if (tree.has(child)) continue;
      tree.add(child);
      todo.push(child);
    }
  }
  return tree;
}
