/**
 * `serve` as a child process, the way a person runs it, for tests that must see the process
 * itself: its exit code, its stderr, or its behaviour under a lower descriptor limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from './engine-client';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Starts `serve --no-dashboard ARGS`; with `fdLimit`, under `ulimit -n fdLimit`; with `imports`,
 * those modules preloaded into it (`node --import`, e.g. test/fixtures/stall-blocker.ts) and `env`
 * added to its environment.
 */
export function serve(
  args: string[],
  opts: { fdLimit?: number; imports?: string[]; env?: Record<string, string> } = {},
): Child {
  const preload = (opts.imports ?? []).flatMap((m) => ['--import', m]);
  // The dashboard is not what these tests are about (and its fixed default port may be taken).
  const node = [
    process.execPath,
    '--import',
    'tsx',
    ...preload,
    'main/cli/index.ts',
    'serve',
    '--no-dashboard',
    ...args,
  ];
  const env = { ...process.env, ...opts.env };
  const proc =
    opts.fdLimit === undefined
      ? spawn(node[0]!, node.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : // `exec` keeps the pid: signals and the exit code are the server's own.
        spawn('sh', ['-c', `ulimit -n ${opts.fdLimit} && exec "$0" "$@"`, ...node], {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (err += c));
  const exit = once(proc, 'exit').then(([code]) => code as number | null);
  return { proc, stdout: () => out, stderr: () => err, exit };
}

/** The base URL in `serve`'s "… listening on http://HOST:PORT" line, once printed. */
export function listeningUrl(stdout: string): string | null {
  return /listening on (http:\S+)/.exec(stdout)?.[1] ?? null;
}

/** Waits for the listening line and returns the base URL it names; a failed start says why. */
export async function baseUrl(child: Child, timeoutMs = 20_000): Promise<string> {
  await until(
    () => listeningUrl(child.stdout()) !== null || child.proc.exitCode !== null,
    'the listening line',
    timeoutMs,
  );
  const url = listeningUrl(child.stdout());
  if (url === null)
    throw new Error(`serve exited ${child.proc.exitCode} before listening:\n${child.stderr()}`);
  return url;
}

/**
 * Writes `text` on a fresh TCP connection and resolves with everything the server sends until it
 * closes the connection (so requests should say `Connection: close`).
 */
export function rawExchange(base: string, text: string, ms = 10_000): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${ms} ms; got ${JSON.stringify(got)}`));
    }, ms);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (got += c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

export interface HeldSocket {
  /** Everything the server sent so far. */
  readonly data: string;
  /** True once the connection closed, by either side. */
  readonly closed: boolean;
  /** ms from open to close, once closed. */
  readonly lifetimeMs: number;
  close(): void;
}

/** Opens a TCP connection, writes `text` (if any) and keeps it open until either side closes it. */
export function holdSocket(base: string, text = ''): HeldSocket {
  const { hostname, port } = new URL(base);
  const opened = Date.now();
  let data = '';
  let closedAt = 0;
  const socket = connect(Number(port), hostname, () => text && socket.write(text));
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (data += c));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  return {
    get data() {
      return data;
    },
    get closed() {
      return closedAt > 0;
    },
    get lifetimeMs() {
      return closedAt - opened;
    },
    close: () => socket.destroy(),
  };
}
