/**
 * `node --import tsx bench/dashboard-cost.ts [clients] [rows]`: the dashboard's own cost (issue 11).
 *
 * A real `serve` and Debian's Chromium on its dashboard. With `clients` simulated clients (half WS
 * prime, a quarter each WS feed and SSE, publishing at 10 msg/s), the ring is filled with `rows`
 * samples quickly (250 ms sampling), then sampling goes back to 1 s and the renderer's main thread
 * is measured with CDP `Performance.getMetrics` (TaskDuration over wall time) for 20 samples in the
 * 15 min, 5 min and 1 min windows. `rows` ≥ 900 puts as many points in the 15 min window as a
 * 15-minute session at 1 Hz does (the window is measured by time; the filled rows all fall in it).
 *
 * Prints one Markdown table row per window.
 */
import type { CDPSession, Page } from 'playwright-core';
import { launchChromium, requireChromium, startServe, waitFor } from '../test/e2e/harness';

const clients = Number(process.argv[2] ?? 0);
const rows = Number(process.argv[3] ?? 900);

const snapshots = async (page: Page) =>
  Number((await page.getByTestId('kpis').getAttribute('data-snapshots')) ?? 0);

async function taskSeconds(cdp: CDPSession): Promise<{ task: number; at: number }> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  return { task: get('TaskDuration'), at: get('Timestamp') };
}

async function main(): Promise<void> {
  requireChromium();
  const serve = await startServe();
  const context = await launchChromium();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(serve.dashboardUrl);
    await waitFor(
      'the bridge',
      () => page.getByTestId('bridge-status').textContent(),
      (t) => t === 'connected',
    );
    if (clients > 0) {
      const split = { 'ws-prime': clients / 2, 'ws-feed': clients / 4, sse: clients / 4 };
      for (const [kind, n] of Object.entries(split)) {
        await page.getByTestId(`spawn-count-${kind}`).fill(String(Math.round(n)));
        await page.getByTestId(`spawn-${kind}`).click();
      }
      await page.getByTestId('publish-rate').fill('10');
      await page.getByTestId('publish-apply').click();
    }
    await page.getByTestId('sample-interval').selectOption('250');
    await waitFor(
      `${rows} samples`,
      () => snapshots(page),
      (n) => n >= rows,
      rows * 1000,
    );
    await page.getByTestId('sample-interval').selectOption('1000');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const measure = async (minutes: number, samples: number) => {
      await page.getByTestId(`window-${minutes}m`).click();
      const start = (await snapshots(page)) + 1;
      await waitFor(
        'a 1 s sample',
        () => snapshots(page),
        (n) => n >= start,
        30_000,
      );
      const a = await taskSeconds(cdp);
      await waitFor(
        `${samples} samples`,
        () => snapshots(page),
        (n) => n >= start + samples,
        120_000,
      );
      const b = await taskSeconds(cdp);
      const busy = (b.task - a.task) / (b.at - a.at);
      const active = await page.getByTestId('conn-total').textContent();
      console.log(
        `| ${minutes} min | ${active} | ${rows} | ${(busy * 1000).toFixed(0)} ms/s | ${(busy * 100).toFixed(1)} % |`,
      );
    };
    console.log('| window | connections | rows filled | main thread busy | share |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    await measure(15, 20);
    await measure(5, 20);
    // The 1 min window once it holds only 1 s samples.
    const settled = (await snapshots(page)) + 40;
    await waitFor(
      'a minute at 1 s',
      () => snapshots(page),
      (n) => n >= settled,
      120_000,
    );
    await measure(1, 20);
  } finally {
    await context.close();
    await serve.stop();
  }
}

await main();
