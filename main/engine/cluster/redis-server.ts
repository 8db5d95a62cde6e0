/**
 * A private redis-server for `serve --workers N` without --redis (and for the tests): started from
 * PATH, bound to a unix socket in a fresh directory (or to a loopback port), with no persistence,
 * and stopped with the process that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopscopeError } from '../../../common/errors';

export interface RedisServer {
  /** What `--redis` and the engine's `redis` option take: a socket path or redis://127.0.0.1:PORT. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** `port` binds 127.0.0.1:port; without it, a unix socket only (no TCP port at all). */
export async function startRedisServer(opts: { port?: number } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'loopscope-redis-'));
  const socket = join(dir, 'redis.sock');
  const args = ['--save', '', '--appendonly', 'no', '--dir', dir];
  if (opts.port === undefined) args.push('--port', '0', '--unixsocket', socket, '--unixsocketperm', '700');
  else args.push('--port', String(opts.port), '--bind', '127.0.0.1');
  let child: ChildProcess;
  try {
    child = await new Promise<ChildProcess>((resolve, reject) => {
      const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      c.once('error', reject);
      c.once('spawn', () => resolve(c));
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LoopscopeError(
        'no_redis_server',
        'no redis-server on PATH: install it (apt-get install redis-server) or pass --redis URL',
      );
    }
    throw err;
  }
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`redis-server not ready after ${READY_TIMEOUT_MS} ms: ${output}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (/ready to accept connections/i.test(output)) done();
    };
    const onExit = () => done(new Error(`redis-server exited: ${output}`));
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url: opts.port === undefined ? socket : `redis://127.0.0.1:${opts.port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
