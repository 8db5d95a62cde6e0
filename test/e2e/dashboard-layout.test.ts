/**
 * Layout and words (issue 21, item 9) at 1280×720, 1440×900 and 1920×1080: tile titles whole,
 * counts with their plural, a stall row on one line, blockers wrapped between words only,
 * Integrity headers over their numbers, the Stalls panel near the top, charts that begin where
 * the samples do, and Pause that freezes the tiles too and says so. `serve` with a 400 ms stall
 * threshold: the one bcrypt run below (cost 14, about 850 ms on a quiet machine, more on a busy
 * one) is over it; start-up seldom stalls that long.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDashboard, snapshotCount, waitFor, type ServeProcess } from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page | null = null;

const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
];

beforeAll(async () => {
  ({ serve, context, page } = await openDashboard(['--stall-ms', '400']));
}, 90_000);

afterAll(async () => {
  await context?.close();
  await serve?.stop();
});

async function samplesPass(p: Page, n: number): Promise<void> {
  const start = await snapshotCount(p);
  await waitFor(
    `${n} more snapshots`,
    () => snapshotCount(p),
    (c) => c >= start + n,
  );
}

/** Everything measured in the page at once (page source as text: the runner evaluates it). */
const MEASURE = `(() => {
  const cut = [...document.querySelectorAll('.kpi-label')]
    .filter((el) => el.scrollWidth > el.clientWidth)
    .map((el) => el.textContent);
  const rowsOnTwoLines = [...document.querySelectorAll('[data-testid="stall-row"]')]
    .filter((row) => new Set([...row.children].map((c) => Math.round(c.getBoundingClientRect().top))).size > 1)
    .map((row) => row.textContent);
  // Each piece between the allowed breaks (a space, after a "/") must sit on one line.
  const brokenWords = [];
  for (const code of document.querySelectorAll('.blockers code')) {
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    const spans = [];
    let text = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      spans.push({ node: n, at: text.length });
      text += n.data;
    }
    const locate = (i) => {
      const s = spans.filter((x) => x.at <= i).pop();
      return [s.node, Math.min(i - s.at, s.node.data.length)];
    };
    for (const m of text.matchAll(/[^\\s/]+\\/?/g)) {
      const range = document.createRange();
      range.setStart(...locate(m.index));
      range.setEnd(...locate(m.index + m[0].length));
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) brokenWords.push(m[0]);
    }
  }
  const table = document.querySelector('table.integrity');
  const heads = [...table.querySelectorAll('thead th')];
  const cells = [...table.querySelector('tbody tr').children];
  const misaligned = heads
    .map((th, i) => [th.textContent, Math.abs(th.getBoundingClientRect().right - cells[i].getBoundingClientRect().right)])
    .filter(([label, off]) => label && off > 3)
    .map(([label]) => label);
  const stallsTop = document.querySelector('[data-testid="stalls-panel"]').getBoundingClientRect().top + scrollY;
  // The "Why clients wait" panel (its heap snapshot field and button in its header) within its card.
  const why = document.querySelector('[data-testid="why-panel"]');
  const whyOverflows = why.scrollWidth > why.clientWidth + 1 ||
    [...why.querySelectorAll('header > *')].some((el) => el.getBoundingClientRect().right > why.getBoundingClientRect().right + 1);
  return { cut, rowsOnTwoLines, brokenWords, misaligned, stallsTop, whyOverflows };
})()`;

it('at each viewport: titles whole, plurals, one-line stall rows, unbroken names, aligned headers, Stalls near the top', async () => {
  const p = page!;
  // One stall (bcrypt cost 14 holds the loop for seconds) and one simulated client.
  await p.getByTestId('spawn-count-ws-prime').fill('1');
  await p.getByTestId('spawn-ws-prime').click();
  await p.getByTestId('bcrypt-cost').selectOption('14');
  await p.getByTestId('bcrypt-loop').click();
  await waitFor(
    'the stall',
    async () => (await p.getByTestId('stalls-list').textContent()) ?? '',
    (t) => t.includes('bcrypt/service.ts'),
    90_000,
  );
  const summary =
    (await waitFor(
      'the summary to count it',
      () => p.getByTestId('stalls-summary').textContent(),
      (t) => /^\d+ stall/.test(t ?? ''),
    )) ?? '';
  const stalls = Number(/^(\d+) /.exec(summary)?.[1]);
  expect(summary).toMatch(stalls === 1 ? /^1 stall, / : /^\d+ stalls, /);
  const detail = await waitFor(
    'one simulated client',
    () => p.getByTestId('rtt-p99-detail').textContent(),
    (t) => t === '1 simulated client',
    60_000,
  );
  expect(detail).toBe('1 simulated client');

  for (const viewport of VIEWPORTS) {
    await p.setViewportSize(viewport);
    await samplesPass(p, 1);
    const m = (await p.evaluate(MEASURE)) as {
      cut: string[];
      rowsOnTwoLines: string[];
      brokenWords: string[];
      misaligned: string[];
      stallsTop: number;
      whyOverflows: boolean;
    };
    const at = `${viewport.width}×${viewport.height}`;
    expect(m.cut, at).toEqual([]);
    expect(m.rowsOnTwoLines, at).toEqual([]);
    expect(m.brokenWords, at).toEqual([]);
    expect(m.misaligned, at).toEqual([]);
    expect(m.whyOverflows, at).toBe(false);
    // The Stalls panel within a screen and a half, not ~1,800 px down.
    expect(m.stallsTop, at).toBeLessThan(viewport.height * 1.5);
    if (process.env.LAYOUT_SHOTS)
      await p.getByTestId('why-panel').screenshot({ path: `${process.env.LAYOUT_SHOTS}/why-${at}.png` });
  }
}, 180_000);

it('the 15-minute window begins at the first sample, not minutes before the server started', async () => {
  const p = page!;
  await p.getByTestId('window-15m').click();
  const canvas = p.getByTestId('chart-event-loop').locator('canvas');
  const span = await waitFor(
    'the 15-minute window drawn',
    async () => {
      const from = Number(await canvas.getAttribute('data-from'));
      const to = Number(await canvas.getAttribute('data-to'));
      return to - from;
    },
    (ms) => Number.isFinite(ms) && ms > 0,
  );
  // The page has held samples for a few minutes at most: the window spans those, not 15 minutes.
  expect(span).toBeLessThan(5 * 60_000);
  await p.getByTestId('window-1m').click();
}, 60_000);

it('Pause freezes the tiles with the charts, and says so on the page', async () => {
  const p = page!;
  await p.getByTestId('pause').click();
  const banner = p.getByTestId('paused-banner');
  expect(await banner.isVisible()).toBe(true);
  expect(await banner.textContent()).toMatch(/charts and readouts are frozen/);
  const frozen = await p.getByTestId('conn-total').textContent();
  await p.getByTestId('spawn-count-ws-prime').fill('3');
  await p.getByTestId('spawn-ws-prime').click();
  await waitFor(
    'the new clients',
    () => p.getByTestId('active-ws-prime').textContent(),
    (t) => t === '4',
    60_000,
  );
  await samplesPass(p, 2);
  expect(await p.getByTestId('conn-total').textContent()).toBe(frozen);
  await p.getByTestId('pause').click();
  expect(await banner.isVisible()).toBe(false);
  await waitFor(
    'the tiles to catch up',
    () => p.getByTestId('conn-total').textContent(),
    (t) => t !== frozen,
  );
  await p.getByTestId('stop-all').click();
}, 90_000);
