/**
 * A dead generator or a silent server (issue 11): the dashboard says so in a notice and greys the
 * figures that came from it until fresh data arrives, while the other source's figures stay live.
 * Also what the feed and the clients table say about publishing. `serve` as a real child process,
 * its real generator process (SIGKILLed), Debian's Chromium.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { childrenOf, openDashboard, readoutNumber, type ServeProcess, waitFor } from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page | null = null;

beforeAll(async () => {
  ({ serve, context, page } = await openDashboard());
}, 60_000);

afterAll(async () => {
  if (serve?.child.pid) {
    try {
      process.kill(serve.child.pid, 'SIGCONT'); // in case a failed test left it stopped
    } catch {
      // already gone
    }
  }
  await context?.close();
  await serve?.stop();
});

/** The serve process's load generator processes (forked children running the generator entry). */
function generatorPids(): number[] {
  return childrenOf(serve!.child.pid!).filter((pid) => {
    try {
      return /load\/child|load-generator/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** Whether the element is drawn greyed (the stale style), as the user sees it: some ancestor faded. */
const greyed = (testid: string): Promise<boolean> =>
  page!.evaluate(`(() => {
    for (let e = document.querySelector('[data-testid="${testid}"]'); e; e = e.parentElement) {
      if (Number(getComputedStyle(e).opacity) < 0.9) return true;
    }
    return false;
  })()`);

const activePrime = async (): Promise<number> =>
  readoutNumber(await page!.getByTestId('active-ws-prime').textContent());

it('the publisher row counts publishers spawned, not the publish rate; the rate field shows the rate in force', async () => {
  const p = page!;
  expect(await p.getByTestId('publish-rate').inputValue()).toBe('0');
  await p.getByTestId('publish-rate').fill('5');
  await p.getByTestId('publish-apply').click();
  await waitFor(
    'the rate in force',
    () => p.getByTestId('publish-in-force').textContent(),
    (t) => t === 'in force: 5 msg/s',
    // The first load command starts the generator: seconds on a loaded machine.
    90_000,
  );
  // Several reports with the rate sender running and no publisher spawned: the row stays 0.
  const seen = new Set<string>();
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    seen.add((await p.getByTestId('active-publisher').textContent()) ?? '');
    await new Promise((r) => setTimeout(r, 200));
  }
  expect([...seen]).toEqual(['0']);
  await p.getByTestId('spawn-count-publisher').fill('2');
  await p.getByTestId('spawn-publisher').click();
  await waitFor(
    'two publishers',
    async () => readoutNumber(await p.getByTestId('active-publisher').textContent()),
    (n) => n === 2,
    60_000,
  );
  // Stop all ends the rate sender too: the field and the words beside it follow.
  await p.getByTestId('stop-all').click();
  await waitFor(
    'no rate in force',
    () => p.getByTestId('publish-in-force').textContent(),
    (t) => t === 'not publishing',
    60_000,
  );
  expect(await p.getByTestId('publish-rate').inputValue()).toBe('0');
  expect(readoutNumber(await p.getByTestId('active-publisher').textContent())).toBe(0);
  // Stopping every client is busy work, not a saturation to warn about (this machine's load makes
  // the generator report saturation often, so this could fail).
  const after = Date.now() + 3000;
  while (Date.now() < after) {
    expect(await p.getByTestId('notices').textContent()).not.toMatch(/saturated/i);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

it('a SIGKILLed generator gets a notice and greys the client figures until a new one reports', async () => {
  const p = page!;
  await p.getByTestId('spawn-count-ws-prime').fill('20');
  await p.getByTestId('spawn-ws-prime').click();
  // On a loaded machine a generator takes seconds to start and its clients to connect.
  await waitFor('ws-prime clients', activePrime, (n) => n > 0, 90_000);
  expect(await p.locator('#app.stale-clients').count()).toBe(0);
  expect(await greyed('rtt-p99')).toBe(false);

  const pids = generatorPids();
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) process.kill(pid, 'SIGKILL');

  await waitFor(
    'the notice',
    () => p.getByTestId('notices').textContent(),
    (t) => !!t && /load generator/i.test(t),
  );
  await waitFor(
    'the client figures greyed',
    () => greyed('rtt-p99'),
    (g) => g,
  );
  expect(await greyed('chart-rtt')).toBe(true);
  expect(await greyed('chart-delivery')).toBe(true);
  expect(await greyed('active-ws-prime')).toBe(true);
  // The server is alive: its figures stay live.
  expect(await greyed('loop-p99')).toBe(false);
  expect(await greyed('chart-event-loop')).toBe(false);

  // A new load command starts a new generator; its first report makes the figures live again.
  await p.getByTestId('spawn-count-ws-prime').fill('5');
  await p.getByTestId('spawn-ws-prime').click();
  await waitFor(
    'the client figures live again',
    () => greyed('rtt-p99'),
    (g) => !g,
    90_000,
  );
  await waitFor('ws-prime clients of the new generator', activePrime, (n) => n > 0, 90_000);
}, 240_000);

it('a server that stops sending snapshots gets a notice and greys its figures until it resumes', async () => {
  const p = page!;
  const pid = serve!.child.pid!;
  expect(await greyed('loop-p99')).toBe(false);
  // Stopped, not dead: the bridge's socket stays open, only the figures stop coming.
  process.kill(pid, 'SIGSTOP');
  try {
    await waitFor(
      'the server figures greyed',
      () => greyed('loop-p99'),
      (g) => g,
      30_000,
    );
    expect(await greyed('chart-connections')).toBe(true);
    expect(await p.getByTestId('bridge-status').textContent()).toBe('connected');
    expect(await p.getByTestId('notices').textContent()).toMatch(/demo server.*stale/i);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await waitFor(
    'the server figures live again',
    () => greyed('loop-p99'),
    (g) => !g,
    30_000,
  );
}, 90_000);
