/**
 * docs/protocol.md §10 in the dashboard, end to end: `serve` as a real child process (one process at
 * first), Debian's Chromium on its dashboard. The Workers control restarts the demo server as two
 * processes (a private redis-server between them); the page then draws one loop-delay line and one
 * connections line per process and shows each one's connections; bcrypt on the loop stalls one
 * process and the Stalls panel names it and draws its flame graph; "Kill a worker" SIGKILLs one and the page shows its
 * replacement (a new worker id and pid) on the same port.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  alive,
  launchChromium,
  openDashboard,
  readoutNumber,
  type ServeProcess,
  startServe,
  waitFor,
} from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page;
const sockets: WebSocket[] = [];
/** Every worker pid the page showed: all must be gone once serve has stopped. */
const seenPids = new Set<number>();

interface Tile {
  id: number;
  pid: number;
  connections: number;
}

async function tiles(): Promise<Tile[]> {
  const list = await page.getByTestId('process-tiles').locator('[data-testid^="process-"]').all();
  const out: Tile[] = [];
  for (const tile of list) {
    const id = Number((await tile.getAttribute('data-testid'))!.replace('process-', ''));
    const pid = Number(await tile.getAttribute('data-pid'));
    seenPids.add(pid);
    out.push({ id, pid, connections: Number(await tile.getAttribute('data-connections')) });
  }
  return out;
}

const show = (list: Tile[]) => JSON.stringify(list);

beforeAll(async () => {
  ({ serve, context, page } = await openDashboard());
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await context?.close();
  if (serve) {
    expect(await serve.stop()).toBe(0);
    // The primary stopped its workers (and its redis-server) on the way out.
    await waitFor(
      'the worker processes to exit',
      async () => [...seenPids].filter(alive),
      (l) => l.length === 0,
      15_000,
    );
  }
}, 60_000);

describe('Workers control and Kill a worker (Chromium, serve as a child process)', () => {
  it('one process: no per-process charts, and Kill a worker is off', async () => {
    expect(await page.getByTestId('chart-process-loop').isHidden()).toBe(true);
    expect(await page.getByTestId('kill-worker').isDisabled()).toBe(true);
  });

  it('Workers = 2 restarts the server as two processes on the same port: two lines on each chart', async () => {
    const port = new URL(serve!.serverUrl).port;
    await page.getByTestId('server-workers').selectOption('2');
    await page.getByTestId('server-workers-apply').click();
    const list = await waitFor('two process tiles', tiles, (l) => l.length === 2, 90_000);
    expect(new Set(list.map((t) => t.pid)).size).toBe(2);
    expect(list.every((t) => t.pid !== serve!.child.pid)).toBe(true);
    expect(await page.getByTestId('server-url').textContent()).toContain(`:${port}`);
    for (const card of ['chart-process-loop', 'chart-process-connections']) {
      expect(await page.getByTestId(card).isVisible()).toBe(true);
      expect(await page.getByTestId(card).getAttribute('data-lines')).toBe('2');
    }
    await waitFor(
      'Kill a worker to be enabled',
      () => page.getByTestId('kill-worker').isDisabled(),
      (disabled) => !disabled,
    );
    // /stats says the same, from whichever process answers.
    const stats = (await (await fetch(`${serve!.serverUrl}/stats`)).json()) as { workers: { pid: number }[] };
    expect(stats.workers.map((w) => w.pid).sort()).toEqual(list.map((t) => t.pid).sort());
  }, 120_000);

  it('each process shows its own connections, and together they count every socket', async () => {
    const wsUrl = `${serve!.serverUrl.replace('http', 'ws')}/ws/feed`;
    for (let i = 0; i < 20; i++) {
      const socket = new WebSocket(wsUrl);
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
    }
    // Connections are handed out in turn (node:cluster round-robin): both processes hold some.
    const list = await waitFor(
      'the 20 sockets on the tiles',
      tiles,
      (l) => l.length === 2 && l.reduce((t, p) => t + p.connections, 0) === 20,
      30_000,
    );
    expect(
      list.every((t) => t.connections > 0),
      show(list),
    ).toBe(true);
  }, 60_000);

  it('bcrypt on the loop stalls one process, and the Stalls panel names it and draws its samples', async () => {
    const pids = (await tiles()).map((t) => t.id);
    await page.getByTestId('bcrypt-cost').selectOption('12');
    await page.getByTestId('bcrypt-loop').click();
    const named = await waitFor(
      'a stall of a bcrypt hash, named by its worker',
      async () => {
        const rows = await page.getByTestId('stall-row').all();
        for (const row of rows) {
          const frame = await row.getByTestId('stall-frame').textContent();
          if (frame?.startsWith('hash ')) return row.getByTestId('stall-process').textContent();
        }
        return null;
      },
      (text) => text !== null,
      30_000,
    );
    expect(named).toMatch(/^worker \d+$/);
    expect(pids).toContain(Number(named!.replace('worker ', '')));
    // The worker's samples came to the primary with the stall, under the id the page knows it by.
    const hashFrame = page.getByTestId('stall-frame').filter({ hasText: /^hash / });
    await page.getByTestId('stall-row').filter({ has: hashFrame }).first().click();
    await waitFor(
      "the stall's flame graph",
      () => page.getByTestId('stall-flame').locator('g.flame-frame[data-name="hash"]').count(),
      (n) => n > 0,
      10_000,
    );
  }, 60_000);

  it('Kill a worker: the primary replaces it, the page shows the new process, and followers lose nothing', async () => {
    // Followers on both transports that push (spread over both processes), and a publish rate.
    for (const kind of ['ws-feed', 'sse']) {
      await page.getByTestId(`spawn-count-${kind}`).fill('10');
      await page.getByTestId(`spawn-${kind}`).click();
    }
    await page.getByTestId('publish-rate').fill('20');
    await page.getByTestId('publish-apply').click();
    const active = async () =>
      readoutNumber(await page.getByTestId('active-ws-feed').textContent()) +
      readoutNumber(await page.getByTestId('active-sse').textContent());
    await waitFor('20 followers', active, (n) => n === 20, 30_000);

    const before = await tiles();
    const killedAt = Date.now();
    await page.getByTestId('kill-worker').click();
    // Which one died is read from the pids, not from which tile left: on a loaded machine a slow
    // worker's tile can drop out of one view while the killed one's is still shown.
    const killed = await waitFor(
      'one worker killed',
      async () => before.filter((b) => !alive(b.pid)),
      (l) => l.length === 1,
      30_000,
    );
    const newest = Math.max(...before.map((b) => b.id));
    const after = await waitFor(
      'a replacement tile',
      tiles,
      (l) => l.length === 2 && !l.some((t) => t.id === killed[0]!.id) && l.some((t) => t.id > newest),
      30_000,
    );
    const fresh = after.find((a) => a.id > newest)!;
    expect(fresh.id).toBeGreaterThan(Math.max(...before.map((b) => b.id)));
    expect(await page.getByTestId('chart-process-loop').getAttribute('data-lines')).toBe('2');
    // Each line is one process's, from its start to its end (issue 21 item 4): the replacement's
    // begins after the kill, and the killed worker's stays, ending before it, under its own name.
    const dead = killed[0]!;
    // Only charts on screen are drawn (chart-cards.ts): the Stalls test above scrolled it away.
    await page.getByTestId('chart-process-loop').scrollIntoViewIfNeeded();
    const lines = await waitFor(
      "the replacement's line and the killed worker's",
      async () => {
        const text = await page
          .getByTestId('chart-process-loop')
          .locator('canvas')
          .getAttribute('data-process-lines');
        return JSON.parse(text ?? '[]') as { label: string; first: number | null; last: number | null }[];
      },
      (l) =>
        l.some((x) => x.label === `worker ${fresh.id} · pid ${fresh.pid}` && x.first !== null) &&
        l.some((x) => x.label === `worker ${dead.id} · pid ${dead.pid} (exited)`),
      15_000,
    );
    const freshLine = lines.find((x) => x.label.startsWith(`worker ${fresh.id} `))!;
    const deadLine = lines.find((x) => x.label.startsWith(`worker ${dead.id} `))!;
    expect(freshLine.first!).toBeGreaterThanOrEqual(killedAt);
    expect(deadLine.last!).toBeLessThan(freshLine.first!);
    expect(lines.filter((x) => x.label.startsWith(`worker ${fresh.id} `))).toHaveLength(1);
    // The server still answers on its port.
    expect((await fetch(serve!.serverUrl)).status).toBe(200);
    // The killed process's followers reconnected and resumed from their cursor: nothing missing,
    // doubled or out of order, while publishing went on.
    await waitFor('the followers back', active, (n) => n === 20, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const counter of ['missing', 'duplicated', 'outOfOrder', 'expiredLost'])
      expect(await page.getByTestId(`integrity-${counter}`).textContent(), counter).toBe('0');
    await page.getByTestId('publish-rate').fill('0');
    await page.getByTestId('publish-apply').click();
    await page.getByTestId('stop-all').click();
  }, 120_000);

  it('Workers = 1 goes back to one process: the per-process charts hide', async () => {
    const workers = (await tiles()).map((t) => t.pid);
    await page.getByTestId('server-workers').selectOption('1');
    await page.getByTestId('server-workers-apply').click();
    await waitFor(
      'the per-process charts to hide',
      () => page.getByTestId('chart-process-loop').isHidden(),
      (hidden) => hidden,
      60_000,
    );
    await waitFor(
      'the workers to exit',
      async () => workers.filter(alive),
      (l) => l.length === 0,
      15_000,
    );
    expect((await fetch(serve!.serverUrl)).status).toBe(200);
  }, 90_000);
});

describe('serve --workers 2 serves the dashboard too (Chromium)', () => {
  it('the page opens on two processes: two tiles, two lines, Workers shows 2', async () => {
    const started = await startServe(['--workers', '2']);
    const browser = await launchChromium();
    try {
      const tab = browser.pages()[0] ?? (await browser.newPage());
      await tab.goto(started.dashboardUrl);
      const count = await waitFor(
        'two process tiles',
        () => tab.getByTestId('process-tiles').locator('[data-testid^="process-"]').count(),
        (n) => n === 2,
        60_000,
      );
      expect(count).toBe(2);
      // The chart draws on its next sample, which may come after the tiles.
      await waitFor(
        'two loop-delay lines',
        () => tab.getByTestId('chart-process-loop').getAttribute('data-lines'),
        (n) => n === '2',
        10_000,
      );
      await waitFor(
        'the Workers control on 2',
        () => tab.getByTestId('server-workers').inputValue(),
        (v) => v === '2',
        10_000,
      );
    } finally {
      await browser.close();
      expect(await started.stop()).toBe(0);
    }
  }, 120_000);
});
