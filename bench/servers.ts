/**
 * The three servers under test, each started as its own child process on a free loopback port:
 * Loopscope's engine exactly as `serve` runs it, the bare node:http + ws baseline, and Tornado.
 * Memory is read the same way for all three: VmRSS of the child from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SERVER_NAMES = ['loopscope', 'baseline', 'tornado'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_MS = 30_000;
const STOP_MS = 10_000;

export interface ServerOptions {
  /** Loopscope only: false runs `serve --no-sampler` (the overhead scenario). */
  sampler?: boolean;
  /** Loopscope only: false runs `serve --no-stalls` (the stall explorer's overhead). */
  stalls?: boolean;
  /** Loopscope only: modules to preload (`node --import`), e.g. the stall bench's blocker. */
  preload?: string[];
  /** Loopscope only: more `serve` arguments (`--workers 2`, `--redis URL`). */
  args?: string[];
  /** Added to the environment (e.g. NODE_CLUSTER_SCHED_POLICY). */
  env?: Record<string, string>;
  /** How long the server may take to print its address (a cluster with its redis-server: long). */
  startupMs?: number;
}

export interface LoopStats {
  p99Ms: number;
  maxMs: number;
}

export interface RunningServer {
  readonly name: ServerName;
  readonly url: string;
  readonly pid: number;
  /** Resident memory of the server process, bytes. */
  rssBytes(): number;
  /** Event-loop lag over the server's last window (Loopscope: its sampler; others: since the last call). */
  loop(): Promise<LoopStats | null>;
  stop(): Promise<void>;
}

function command(name: ServerName, options: ServerOptions): { file: string; args: string[] } {
  switch (name) {
    case 'loopscope':
      return {
        file: process.execPath,
        // No dashboard: the browser UI on its fixed port is not what is measured, and it may be taken.
        args: [
          ...['--import', 'tsx', ...(options.preload ?? []).flatMap((m) => ['--import', m])],
          ...['main/cli/index.ts', 'serve', '--port', '0', '--no-dashboard'],
          ...(options.sampler === false ? ['--no-sampler'] : []),
          ...(options.stalls === false ? ['--no-stalls'] : []),
          ...(options.args ?? []),
        ],
      };
    case 'baseline':
      return { file: process.execPath, args: ['--import', 'tsx', 'bench/baseline-server.ts', '--port', '0'] };
    case 'tornado':
      return { file: PYTHON, args: ['bench/tornado_server.py', '--port', '0'] };
  }
}

/** Tornado's version under Debian's python3, or null with the reason. */
export function tornadoVersion(): { version: string | null; reason: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import tornado; print(tornado.version)'], { encoding: 'utf8' });
  if (probe.status === 0) return { version: probe.stdout.trim(), reason: '' };
  return { version: null, reason: `${PYTHON} has no tornado (apt-get install -y python3-tornado)` };
}

/** Installs python3-tornado with apt when running as root; otherwise says how. */
export function ensureTornado(log: (line: string) => void): string | null {
  const found = tornadoVersion();
  if (found.version !== null) return found.version;
  if (process.getuid?.() === 0) {
    log('bench: installing python3-tornado with apt-get');
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3-tornado'], { stdio: 'inherit' });
    return tornadoVersion().version;
  }
  log(`bench: ${found.reason}; run it as root, then re-run the bench. Tornado columns are skipped.`);
  return null;
}

export function pythonVersion(): string {
  const probe = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim().replace(/^Python /, '') : 'missing';
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

async function waitForUrl(child: ChildProcess, name: string, startupMs: number): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not report its port in ${startupMs} ms:\n${output}`)),
      startupMs,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // `serve` may print other URLs (the dashboard) first; the server line says "listening".
      const match = /listening (?:on )?http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) finish(`http://127.0.0.1:${match[1]}`);
    };
    const onExit = (code: number | null): void => fail(new Error(`${name} exited with ${code}:\n${output}`));
    function finish(url: string): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(url);
    }
    function fail(err: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startServer(name: ServerName, options: ServerOptions = {}): Promise<RunningServer> {
  const { file, args } = command(name, options);
  const child = spawn(file, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const url = await waitForUrl(child, name, options.startupMs ?? STARTUP_MS);
  // Keep draining output so a chatty server never blocks on a full pipe; surface its errors.
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);

  return {
    name,
    url,
    pid,
    rssBytes: () => rssOf(pid),
    async loop() {
      const res = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return null;
      const stats = (await res.json()) as { eventLoop?: { p99Ms?: number; maxMs?: number } };
      const { p99Ms, maxMs } = stats.eventLoop ?? {};
      return typeof p99Ms === 'number' && typeof maxMs === 'number' ? { p99Ms, maxMs } : null;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        if (child.exitCode !== 0) throw new Error(`${name} had already exited (${child.exitCode}):\n${tail}`);
        return;
      }
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
