/**
 * How `serve` starts the dashboard beside the demo server: --no-dashboard skips it, and a dashboard
 * port that is taken costs one line on stderr while the demo server runs on, and a request the URL
 * parser refuses costs a 400, not the app.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { rawStatus, UPGRADE_HEADERS } from '../fixtures/raw-http';
import { alive, ROOT, startServe, waitFor } from './harness';

async function runServe(args: string[]): Promise<{ stdout: string[]; stderr: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (l) => stdout.push(l));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitFor(
      'the demo server line',
      async () => stdout.join('\n'),
      (t) => t.includes('listening on'),
    );
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  return { stdout, stderr, code: child.exitCode };
}

it('--no-dashboard runs the demo server alone', async () => {
  const { stdout, code } = await runServe(['--no-dashboard']);
  expect(stdout.some((l) => l.startsWith('dashboard:'))).toBe(false);
  expect(code).toBe(0);
});

it('a taken dashboard port is one line naming the flag; the demo server runs on', async () => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as { port: number }).port;
  try {
    const { stdout, stderr, code } = await runServe(['--dashboard-port', String(port)]);
    expect(stdout.some((l) => l.startsWith('dashboard:'))).toBe(false);
    expect(stdout.some((l) => l.startsWith('demo server listening on http://127.0.0.1:'))).toBe(true);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`dashboard port ${port} is in use`);
    expect(lines[0]).toContain('--dashboard-port');
    expect(code).toBe(0);
  } finally {
    blocker.close();
  }
});

it('rejects a malformed --dashboard-port with the usage line', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--dashboard-port', 'x'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(2);
  expect(stderr).toContain('--dashboard-port must be an integer');
});

it('a request target the URL parser refuses is a 400 on the dashboard port, not a dead app', async () => {
  const serve = await startServe();
  let exitCode: number | null = null;
  try {
    const url = new URL(serve.dashboardUrl);
    const port = Number(url.port);
    for (const target of ['http://[', 'http://a:99999/']) {
      // Upgrade first: before the fix this one threw in the 'upgrade' listener and killed `serve`.
      expect(
        await rawStatus(port, `GET ${target} HTTP/1.1\r\nHost: ${url.host}\r\n${UPGRADE_HEADERS}\r\n`),
      ).toBe(400);
      expect(
        await rawStatus(port, `GET ${target} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`),
      ).toBe(400);
    }
    expect(alive(serve.child.pid!)).toBe(true);
    expect((await fetch(serve.dashboardUrl)).status).toBe(200);
    // Bad input is the peer's fault: no stack trace in the log.
    expect(serve.output.join('\n')).not.toMatch(/Invalid URL|TypeError|\n\s+at /);
  } finally {
    exitCode = await serve.stop();
  }
  expect(exitCode).toBe(0);
});
