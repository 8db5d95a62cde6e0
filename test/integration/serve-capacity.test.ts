/**
 * `serve --connections N`, run as a person runs it under a low `ulimit -n`: it chooses the server
 * processes the connections need and says so, they then really hold that many connections, and
 * what the box cannot hold is refused before anything starts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLoadCli } from '../fixtures/load-wait';
import { baseUrl, serve, type Child } from './serve-child';

const FD_LIMIT = 1024;
/** 1,024 less serve's reserve (10%, at least 64): what one server process holds. */
const PER_PROCESS = FD_LIMIT - Math.ceil(FD_LIMIT * 0.1);

let child: Child | null = null;
afterEach(async () => {
  if (child && child.proc.exitCode === null) {
    child.proc.kill('SIGTERM');
    await child.exit;
  }
  child = null;
});

describe('serve --connections', () => {
  it('runs as many server processes as the descriptors need, says so, and they hold the connections', async () => {
    const connections = 2 * PER_PROCESS + 500;
    child = serve(['--port', '0', '--connections', String(connections)], { fdLimit: FD_LIMIT });
    const url = await baseUrl(child, 60_000);
    expect(child.stderr()).toContain(
      `planned for ${connections.toLocaleString('en-US')} connections: 3 server processes ` +
        `(up to ${PER_PROCESS} sockets each, ulimit -n 1,024)`,
    );
    const stats = (await (await fetch(`${url}/stats`)).json()) as { workers?: unknown[] };
    expect(stats.workers).toHaveLength(3);
    // More than two processes hold: the third one is needed, and enough.
    const res = await runLoadCli([
      '--target',
      url,
      '--ws',
      String(connections),
      '--ws-interval',
      '0',
      '--ramp',
      '1000',
      '--duration',
      '8',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const ws = (
      JSON.parse(res.stdout) as { report: { kinds: Record<string, { active: number; failures: object }> } }
    ).report.kinds['ws-prime']!;
    expect(ws.active).toBe(connections);
    expect(ws.failures).toEqual({});
  }, 120_000);

  it('refuses a --workers count too small, and what even 64 processes cannot hold, before starting', async () => {
    const small = serve(['--port', '0', '--workers', '2', '--connections', String(2 * PER_PROCESS + 500)], {
      fdLimit: FD_LIMIT,
    });
    expect(await small.exit).toBe(2);
    expect(small.stderr()).toContain('Use --workers 3');
    expect(small.stderr()).toContain('nothing was started [beyond_box_limits]');
    expect(small.stdout()).not.toContain('listening');
    const huge = serve(['--port', '0', '--connections', '100000'], { fdLimit: FD_LIMIT });
    expect(await huge.exit).toBe(2);
    expect(huge.stderr()).toMatch(
      /100,000 connections need \d+ server processes .* more than the 64 allowed/,
    );
  }, 60_000);
});
