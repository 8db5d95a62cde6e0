/**
 * End-to-end helpers: browser mode started as a real child process exactly as a user starts it,
 * and Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from '../fixtures/poll';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** CI installs Chromium; a missing one is a broken environment, not a reason to skip silently. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard end-to-end tests need Debian's chromium (apt-get install -y chromium)`,
    );
  }
  if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` (npm test does it in pretest)');
  }
}

export interface ServeProcess {
  child: ChildProcess;
  serverUrl: string;
  dashboardUrl: string;
  output: string[];
  /** SIGTERM, then the exit code (bounded wait). */
  stop(): Promise<number | null>;
}

export async function startServe(extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--port', '0', '--dashboard-port', '0', ...extraArgs],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const lines = createInterface({ input: child.stdout! });
  let serverUrl = '';
  let dashboardUrl = '';
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      serverUrl ||= /demo server listening on (\S+)/.exec(line)?.[1] ?? '';
      dashboardUrl ||= /dashboard: (\S+)/.exec(line)?.[1] ?? '';
      if (serverUrl && dashboardUrl) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`serve exited (${code}) before it was ready:\n${output.join('')}`)),
    );
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await ready.finally(() => clearTimeout(timeout));
  return {
    child,
    serverUrl,
    dashboardUrl,
    output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(killer);
      return code;
    },
  };
}

export async function launchChromium(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'loopscope-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
}

/** `serve` as a child process and Chromium on its dashboard, once the page's bridge is connected. */
export async function openDashboard(
  serveArgs: string[] = [],
): Promise<{ serve: ServeProcess; context: BrowserContext; page: Page }> {
  requireChromium();
  const serve = await startServe(serveArgs);
  let context: BrowserContext | null = null;
  try {
    context = await launchChromium();
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(serve.dashboardUrl);
    await waitFor(
      'the bridge to connect',
      () => page.getByTestId('bridge-status').textContent(),
      (t) => t === 'connected',
    );
    return { serve, context, page };
  } catch (err) {
    // Nothing is left running when the page never got going.
    await context?.close();
    await serve.stop();
    throw err;
  }
}

export { waitFor };

/** Snapshots the page has received (the KPI strip's counter). */
export async function snapshotCount(page: Page): Promise<number> {
  return Number((await page.getByTestId('kpis').getAttribute('data-snapshots')) ?? 0);
}

/**
 * Spawns `clients` simulated clients from the page, half WS prime and a quarter each WS feed and
 * SSE, and publishes at 10 msg/s: the dashboard-cost benches' load. `rampPerS` sets the ramp first.
 */
export async function spawnClientMix(page: Page, clients: number, rampPerS?: number): Promise<void> {
  if (rampPerS !== undefined) await page.getByTestId('spawn-ramp').fill(String(rampPerS));
  const split = { 'ws-prime': clients / 2, 'ws-feed': clients / 4, sse: clients / 4 };
  for (const [kind, n] of Object.entries(split)) {
    await page.getByTestId(`spawn-count-${kind}`).fill(String(Math.round(n)));
    await page.getByTestId(`spawn-${kind}`).click();
  }
  await page.getByTestId('publish-rate').fill('10');
  await page.getByTestId('publish-apply').click();
}

/** Parses a readout such as "1,234" or "12.5"; NaN for "—". */
export function readoutNumber(text: string | null): number {
  return Number((text ?? '').replace(/,/g, ''));
}

/** Direct children of a process (Linux ps). */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** A process that exited but is not yet reaped by its parent (a zombie) counts as gone. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
