/**
 * `npm start` where Electron cannot start (here: no binary, or no display): one line says why,
 * then browser mode runs and prints the dashboard URL; a signal stops it and its child cleanly.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { alive, childrenOf, ROOT, waitFor } from './harness';

it('npm start falls back to the browser dashboard with one line saying why', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, LOOPSCOPE_SKIP_BUILD: '1' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const start = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', '--port', '0', '--dashboard-port', '0'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  createInterface({ input: start.stdout! }).on('line', (l) => lines.push(l));
  try {
    await waitFor(
      'the dashboard URL',
      async () => lines.join('\n'),
      (t) => /dashboard: http/.test(t),
      30_000,
    );
    const why = lines.filter((l) => l.startsWith('loopscope: cannot start Electron: '));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/(Electron binary not installed|no display)/);
    expect(lines.indexOf(why[0]!)).toBe(0);
    const url = /dashboard: (\S+)/.exec(lines.join('\n'))![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
  } finally {
    const serve = childrenOf(start.pid!);
    const exited = once(start, 'exit');
    start.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    for (const pid of serve)
      await waitFor(
        `serve child ${pid} to exit`,
        async () => alive(pid),
        (a) => !a,
        10_000,
      );
  }
});
