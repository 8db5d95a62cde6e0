/**
 * The browser dashboard end to end, as a user drives it: `serve` runs as a real child process,
 * Debian's Chromium opens the printed URL, and every step goes through the page's controls.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  readoutNumber,
  requireChromium,
  ROOT,
  type ServeProcess,
  snapshotCount,
  startServe,
  waitFor,
} from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page;
const pageErrors: string[] = [];

const readout = async (testid: string) => readoutNumber(await page.getByTestId(testid).textContent());
const snapshots = () => snapshotCount(page);

/** One CSV line into its cells: quoted cells may hold commas and doubled quotes (RFC 4180). */
function csvRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell);
  return cells;
}

/**
 * Starts watching a readout now; stopAfter(n) keeps watching until n more snapshots have arrived
 * and returns the largest value seen over the whole span.
 */
function watchPeak(testid: string): { stopAfter(count: number): Promise<number> } {
  let peak = 0;
  let watching = true;
  const loop = (async () => {
    while (watching) {
      peak = Math.max(peak, await readout(testid));
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    async stopAfter(count) {
      const until = (await snapshots()) + count;
      await waitFor(`${count} more snapshots`, snapshots, (n) => n >= until);
      watching = false;
      await loop;
      return Math.max(peak, await readout(testid));
    },
  };
}

beforeAll(async () => {
  requireChromium();
  serve = await startServe();
  context = await launchChromium();
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.goto(serve.dashboardUrl);
  await waitFor(
    'the bridge to connect',
    () => page.getByTestId('bridge-status').textContent(),
    (t) => t === 'connected',
  );
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

describe('browser dashboard (Chromium, serve as a child process)', () => {
  it('shows the demo server it talks to', async () => {
    await waitFor(
      'server address',
      () => page.getByTestId('server-url').textContent(),
      (t) => t === serve?.serverUrl,
    );
    await waitFor('first snapshot', snapshots, (n) => n >= 1);
  });

  it('spawns 500 ws-prime clients from the UI and the connection readout reaches 500', async () => {
    await page.getByTestId('spawn-count-ws-prime').fill('500');
    await page.getByTestId('spawn-ws-prime').click();
    await waitFor(
      '500 connections',
      () => readout('conn-total'),
      (n) => n === 500,
      30_000,
    );
    // The tile tells what the server itself counts.
    const stats = (await (await fetch(`${serve!.serverUrl}/stats`)).json()) as {
      connections: { wsPrime: number };
    };
    expect(stats.connections.wsPrime).toBe(500);
    await waitFor(
      'generator reports 500 active',
      () => readout('active-ws-prime'),
      (n) => n === 500,
    );
  });

  it('bcrypt cost 12 on the loop makes the p99 delay jump; on the pool it stays low', async () => {
    await page.getByTestId('bcrypt-cost').selectOption('12');
    // The pool's threads start on its first hash, on the loop's own thread: warmed first, so what
    // is judged below is where a hash runs, not a thread's start-up on a machine shared with other
    // test files.
    await page.getByTestId('bcrypt-runs').fill('1');
    await page.getByTestId('bcrypt-pool').click();
    await waitFor(
      'the warm-up hash on the pool',
      () => page.getByTestId('bcrypt-result').textContent(),
      (t) => !!t && /^1× cost 12 on the pool/.test(t),
    );
    // The recorder counts the ticks a stall swallowed, so one hash already moves p99; a few back to
    // back hold it up for more than a window, so polling the readout cannot fall between two.
    await page.getByTestId('bcrypt-runs').fill('3');
    await waitFor(
      'a calm loop',
      () => readout('loop-p99'),
      (ms) => ms < 50,
    );

    await page.getByTestId('bcrypt-loop').click();
    // Watched from the click on: the readout shows each snapshot as it arrives, during the runs.
    const onLoop = await waitFor(
      'the p99 jump',
      () => readout('loop-p99'),
      (ms) => ms >= 100,
    );
    const ran = await waitFor(
      'the loop runs',
      () => page.getByTestId('bcrypt-result').textContent(),
      (t) => !!t && /on the loop: [\d,.]+ ms each/.test(t),
    );
    expect(ran).toMatch(/^3× cost 12 on the loop/);

    await waitFor(
      'the loop to calm down again',
      () => readout('loop-p99'),
      (ms) => ms < 50,
    );
    // One hash on the pool: a thread of its own, leaving the other core to the loop (2-core CI).
    // Its p99 is watched over every snapshot from the click until a full window after the result,
    // so the windows the hash ran in are among those judged.
    await page.getByTestId('bcrypt-runs').fill('1');
    const watch = watchPeak('loop-p99');
    await page.getByTestId('bcrypt-pool').click();
    await waitFor(
      'the pool run',
      () => page.getByTestId('bcrypt-result').textContent(),
      (t) => !!t && /on the pool: [\d,.]+ ms each/.test(t),
    );
    const onPool = await watch.stopAfter(2);
    // Absolute bound loose enough for a parallel test file sharing the two cores; relative one tight.
    expect(onPool, `p99 on the loop ${onLoop} ms, on the pool ${onPool} ms`).toBeLessThan(100);
    expect(onPool, `p99 on the loop ${onLoop} ms, on the pool ${onPool} ms`).toBeLessThan(onLoop / 3);
  });

  it('the prime box asks the server over a WebSocket from the page', async () => {
    await page.getByTestId('prime-input').fill('2305843009213693951');
    await page.getByTestId('prime-check').click();
    await waitFor(
      'prime answer',
      () => page.getByTestId('prime-answer').textContent(),
      (t) => t === 'prime',
    );
    await page.getByTestId('prime-input').fill('2305843009213693953');
    await page.getByTestId('prime-check').click();
    await waitFor(
      'not-prime answer',
      () => page.getByTestId('prime-answer').textContent(),
      (t) => t === 'not prime',
    );
  });

  it('stop all brings the connections back to 0 (screenshot kept as an artifact)', async () => {
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/dashboard.png'), fullPage: true });
    await page.getByTestId('stop-all').click();
    expect(
      await waitFor(
        '0 connections',
        () => readout('conn-total'),
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it('exports the session as CSV with one row per snapshot', async () => {
    await waitFor('a snapshot at 0', snapshots, (n) => n >= 1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^loopscope-session-.*\.csv$/);
    const file = await download.path();
    const all = readFileSync(file, 'utf8').trim().split('\n');
    // Metadata first, as '# key: value' comments, then the header and one row per snapshot.
    const meta = all.filter((l) => l.startsWith('# '));
    expect(meta.some((l) => /^# exported_at: \d{4}-\d\d-\d\dT/.test(l))).toBe(true);
    expect(meta.some((l) => /^# server_url: http:\/\/127\.0\.0\.1:\d+/.test(l))).toBe(true);
    const lines = all.filter((l) => !l.startsWith('#'));
    const header = lines[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['time_iso', 'time', 'conn_ws_prime']);
    const rows = lines.slice(1).map(csvRow);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row).toHaveLength(header.length);
    const col = (name: string) => header.indexOf(name);
    expect(rows.some((r) => r[col('conn_ws_prime')] === '500')).toBe(true);
    expect(rows.some((r) => Number(r[col('bcrypt_loop_runs')]) > 0)).toBe(true);
    expect(rows.some((r) => Number(r[col('loop_p99_ms')]) >= 100)).toBe(true);
    const times = rows.map((r) => Number(r[col('time')]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('exports the same session as JSON, and a chart as PNG', async () => {
    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-json').click(),
    ]);
    const session = JSON.parse(readFileSync(await json.path(), 'utf8')) as {
      columns: string[];
      samples: Record<string, number | null>[];
    };
    expect(session.columns).toContain('loop_p99_ms');
    expect(session.samples.length).toBeGreaterThanOrEqual(3);
    expect(session.samples.some((row) => row.conn_ws_prime === 500)).toBe(true);

    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('png-event-loop').click(),
    ]);
    expect(png.suggestedFilename()).toMatch(/^loopscope-event-loop-.*\.png$/);
    const bytes = readFileSync(await png.path());
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(bytes.length).toBeGreaterThan(5_000);
  });

  it('pauses and resumes the charts', async () => {
    const canvas = page.getByTestId('chart-event-loop').locator('canvas');
    const samples = () => snapshotCount(page);
    await page.getByTestId('pause').click();
    expect(await page.getByTestId('pause').textContent()).toBe('Resume');
    const frozen = await canvas.screenshot();
    // Samples keep arriving (the readouts say so), the window changes: the chart stays as it was.
    const seen = await samples();
    await waitFor('two more samples', samples, (n) => n >= seen + 2);
    await page.getByTestId('window-15m').click();
    await page.waitForTimeout(300);
    expect((await canvas.screenshot()).equals(frozen)).toBe(true);
    await page.getByTestId('pause').click();
    expect(await page.getByTestId('pause').textContent()).toBe('Pause');
    await waitFor(
      'the chart to move again',
      async () => !(await canvas.screenshot()).equals(frozen),
      (moved) => moved,
    );
  });

  it('a page from another origin cannot open the bridge, even knowing the token', async () => {
    const bridge = serve!.dashboardUrl.replace(/^http/, 'ws').replace('/?token=', '/bridge?token=');
    const foreign = await context!.newPage();
    try {
      // Any other origin will do; the demo server's own is one the browser can load right here.
      await foreign.goto(`${serve!.serverUrl}/`);
      const outcome = await foreign.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          }),
        bridge,
      );
      expect(outcome).toBe('refused');
      // The same URL from the dashboard's own origin is accepted.
      const own = await page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => {
              ws.close();
              resolve('open');
            };
            ws.onerror = () => resolve('refused');
          }),
        bridge,
      );
      expect(own).toBe('open');
    } finally {
      await foreign.close();
    }
  });

  it('ran without page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
