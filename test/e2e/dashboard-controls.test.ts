/**
 * The dashboard keeps its word (issue 21, items 1, 5, 6, 10, 11, 12): a bcrypt series is bounded
 * and stoppable, a refused value is said beside its field and changes nothing, every control has
 * a name of its own, the exports say what they hold, markers stay in their window, and controls
 * that need the app are disabled while it is gone. `serve` as a real child process, Debian's
 * Chromium.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Download, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BCRYPT_RUNS } from '../../common/limits';
import {
  launchChromium,
  openDashboard,
  snapshotCount,
  startServe,
  waitFor,
  type ServeProcess,
} from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page | null = null;

beforeAll(async () => {
  ({ serve, context, page } = await openDashboard());
}, 90_000);

afterAll(async () => {
  await context?.close();
  await serve?.stop();
});

/** A counter from the demo server's own /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${serve!.serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(' ').pop());
}

/** Waits until the page has taken `n` more snapshots: time for anything sent to show. */
async function samplesPass(p: Page, n: number): Promise<void> {
  const start = await snapshotCount(p);
  await waitFor(
    `${n} more snapshots`,
    () => snapshotCount(p),
    (c) => c >= start + n,
  );
}

async function errorBeside(field: Locator): Promise<string> {
  const id = await field.getAttribute('aria-describedby');
  expect(id).toBeTruthy();
  const error = page!.locator(`#${id}`);
  await waitFor(
    'the message beside the field',
    () => error.isVisible(),
    (v) => v,
  );
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  return (await error.textContent()) ?? '';
}

const INTERNAL_NAMES = /perS|rampPerS|workMs|thresholdMs|Invalid URL|payload/;

async function download(p: Page, click: () => Promise<void>): Promise<Download> {
  const [file] = await Promise.all([p.waitForEvent('download'), click()]);
  return file;
}

describe('1: a bcrypt series is bounded and stoppable', () => {
  it('refuses a run count outside 1..20 beside the field and sends nothing', async () => {
    const p = page!;
    const before = await metric('loopscope_bcrypt_loop_runs_total');
    const runs = p.getByTestId('bcrypt-runs');
    for (const bad of [String(BCRYPT_RUNS.max + 1), '-5', '100000']) {
      await runs.fill(bad);
      await p.getByTestId('bcrypt-loop').click();
      const message = await errorBeside(runs);
      expect(message).toContain(`from ${BCRYPT_RUNS.min} to ${BCRYPT_RUNS.max}`);
      expect(message).toContain(bad);
      // Said, not silently disabled: the buttons stay usable for a good value.
      expect(await p.getByTestId('bcrypt-loop').isEnabled()).toBe(true);
    }
    await samplesPass(p, 2);
    expect(await metric('loopscope_bcrypt_loop_runs_total')).toBe(before);
  }, 60_000);

  it('Stop ends a series after the run in flight; nothing runs on the server after it', async () => {
    const p = page!;
    await p.getByTestId('bcrypt-cost').selectOption('10');
    await p.getByTestId('bcrypt-runs').fill(String(BCRYPT_RUNS.max));
    const before = await metric('loopscope_bcrypt_loop_runs_total');
    await p.getByTestId('bcrypt-loop').click();
    await waitFor(
      'the second run',
      () => p.getByTestId('bcrypt-result').textContent(),
      (t) => /run [2-9] of 20/.test(t ?? ''),
      60_000,
    );
    await p.getByTestId('bcrypt-stop').click();
    const result = await waitFor(
      'the series to end',
      () => p.getByTestId('bcrypt-result').textContent(),
      (t) => /stopped after/.test(t ?? ''),
      60_000,
    );
    const done = Number(/stopped after (\d+) of 20/.exec(result ?? '')?.[1]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(BCRYPT_RUNS.max);
    expect(await p.getByTestId('bcrypt-loop').isEnabled()).toBe(true);
    expect(await p.getByTestId('bcrypt-stop').isDisabled()).toBe(true);
    const after = await metric('loopscope_bcrypt_loop_runs_total');
    expect(after - before).toBe(done);
    // The series does not outlive the stop anywhere: the server runs nothing more.
    await samplesPass(p, 3);
    expect(await metric('loopscope_bcrypt_loop_runs_total')).toBe(after);
  }, 120_000);
});

describe('6: a refused value is said beside its field, in its own words, and changes nothing', () => {
  it('publish rate: empty or not a number keeps the rate in force; 2.5 is 2.5', async () => {
    const p = page!;
    const rate = p.getByTestId('publish-rate');
    const inForce = p.getByTestId('publish-in-force');
    await rate.fill('5');
    await p.getByTestId('publish-apply').click();
    // The first load command starts the generator: seconds on a loaded machine.
    await waitFor(
      'rate 5',
      () => inForce.textContent(),
      (t) => t === 'in force: 5 msg/s',
      90_000,
    );
    for (const typed of ['', 'abc', '-1']) {
      await rate.fill('');
      if (typed) await rate.pressSequentially(typed);
      await p.getByTestId('publish-apply').click();
      const message = await errorBeside(rate);
      expect(message).toMatch(/^Publish rate must be a number from 0 to 10000/);
      expect(message).not.toMatch(INTERNAL_NAMES);
      await samplesPass(p, 2);
      expect(await inForce.textContent()).toBe('in force: 5 msg/s');
    }
    await rate.fill('2.5');
    await p.getByTestId('publish-apply').click();
    await waitFor(
      'rate 2.5',
      () => inForce.textContent(),
      (t) => t === 'in force: 2.5 msg/s',
    );
    expect(await rate.getAttribute('aria-invalid')).toBeNull();
    await rate.fill('0');
    await p.getByTestId('publish-apply').click();
    await waitFor(
      'publishing stops',
      () => inForce.textContent(),
      (t) => t === 'not publishing',
    );
  }, 150_000);

  it('an empty ramp spawns nothing; Spawn -5 gives the field’s real range', async () => {
    const p = page!;
    const ramp = p.getByTestId('spawn-ramp');
    await p.getByTestId('spawn-count-ws-prime').fill('1');
    await ramp.fill('');
    await p.getByTestId('spawn-ws-prime').click();
    expect(await errorBeside(ramp)).toBe('Ramp must be a number from 0 to 100000 (it is empty)');
    await samplesPass(p, 3);
    expect(await p.getByTestId('active-ws-prime').textContent()).toBe('0');
    await ramp.fill('0');

    const count = p.getByTestId('spawn-count-sse');
    await count.fill('-5');
    await p.getByTestId('spawn-sse').click();
    const message = await errorBeside(count);
    expect(message).toContain('from 1 to 100000');
    expect(message).not.toContain('from 0');
    expect(message).toMatch(/^SSE clients to spawn or stop must be/);
    await count.fill('1');
    await p.getByTestId('spawn-sse').click();
    expect(await count.getAttribute('aria-invalid')).toBeNull();
    await waitFor(
      'one SSE client',
      () => p.getByTestId('active-sse').textContent(),
      (t) => t === '1',
      60_000,
    );
    await p.getByTestId('stop-sse').click();
  }, 120_000);

  it('every other field: its own name, its range, no internal names, nothing in the banner', async () => {
    const p = page!;
    const cases: [string, string, RegExp, string][] = [
      ['jobs-work-ms', '-1', /^Work per job \(ms\) must be an integer from 0 to 10000/, 'jobs-enqueue'],
      ['jobs-count', '0', /^Jobs to enqueue must be an integer from 1 to 100000/, 'jobs-enqueue'],
      ['workers', '2.5', /^Queue workers must be an integer from 1 to 1000/, 'workers-apply'],
      [
        'stall-threshold',
        '5',
        /^Stall threshold \(ms\) must be an integer from 20 to 5000/,
        'stall-threshold-apply',
      ],
      ['server-port', '70000', /^Port must be an integer from 0 to 65535/, 'server-port-apply'],
      ['target-input', 'not a url', /^External target must be an address/, 'target-apply'],
    ];
    const threshold = Number(
      ((await (await fetch(`${serve!.serverUrl}/stalls`)).json()) as { thresholdMs: number }).thresholdMs,
    );
    for (const [field, value, words, button] of cases) {
      const input = p.getByTestId(field);
      await input.fill(value);
      await p.getByTestId(button).click();
      const message = await errorBeside(input);
      expect(message).toMatch(words);
      expect(message).not.toMatch(INTERNAL_NAMES);
    }
    // Nothing was sent: no refusal came back as a banner, and the threshold is as it was.
    expect(await p.locator('[data-testid="notices"] .notice.error').count()).toBe(0);
    expect(
      ((await (await fetch(`${serve!.serverUrl}/stalls`)).json()) as { thresholdMs: number }).thresholdMs,
    ).toBe(threshold);
    // Typing again clears the message.
    await p.getByTestId('jobs-work-ms').fill('50');
    expect(await p.getByTestId('jobs-work-ms').getAttribute('aria-invalid')).toBeNull();
  }, 60_000);
});

it('11: every control has an accessible name of its own; none is named "×"', async () => {
  const p = page!;
  const cdp = await context!.newCDPSession(p);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
  };
  await cdp.detach();
  const controls = nodes.filter(
    (n) => !n.ignored && ['button', 'spinbutton', 'textbox', 'combobox'].includes(n.role?.value ?? ''),
  );
  const names = controls.map((n) => `${n.role!.value}: ${n.name?.value ?? ''}`);
  const seen = new Map<string, number>();
  for (const name of names) seen.set(name, (seen.get(name) ?? 0) + 1);
  const repeated = [...seen].filter(([, n]) => n > 1).map(([name, n]) => `${name} ×${n}`);
  expect(repeated).toEqual([]);
  expect(names.filter((n) => /: (×\s*)?$/.test(n))).toEqual([]);
  for (const expected of [
    'button: Spawn WS prime clients',
    'button: Stop SSE clients',
    'button: Save event-loop delay chart as PNG',
    'button: Set the publish rate',
    'button: Set the stall threshold',
    'spinbutton: bcrypt runs in a row',
  ])
    expect(names).toContain(expected);
}, 30_000);

describe('10: exports say what they hold', () => {
  it('CSV and JSON carry metadata, stalls and bcrypt runs, rounded, without empty process columns', async () => {
    const p = page!;
    // A run long enough to be a stall at the default threshold (100 ms).
    await p.getByTestId('bcrypt-cost').selectOption('11');
    await p.getByTestId('bcrypt-runs').fill('1');
    await p.getByTestId('bcrypt-loop').click();
    await waitFor(
      'the run and its stall',
      async () => (await p.getByTestId('stalls-list').textContent()) ?? '',
      (t) => t.includes('bcrypt/service.ts'),
      60_000,
    );
    await samplesPass(p, 2);
    const csv = readFileSync(
      (await (await download(p, () => p.getByTestId('export-csv').click())).path())!,
      'utf8',
    );
    const lines = csv.trim().split('\n');
    const meta = lines.filter((l) => l.startsWith('# '));
    expect(meta.some((l) => /^# time_zone: \S+/.test(l))).toBe(true);
    expect(meta).toContain(
      `# loopscope_version: ${JSON.parse(readFileSync('package.json', 'utf8')).version}`,
    );
    expect(meta).toContain(`# target_url: ${serve!.serverUrl}`);
    const rows = lines.filter((l) => !l.startsWith('# '));
    const header = rows[0]!.split(',');
    expect(header.filter((c) => c.startsWith('proc'))).toEqual([]);
    expect(header).toEqual(expect.arrayContaining(['stalls', 'stall_blockers', 'bcrypt_runs']));
    const body = rows.slice(1).join('\n');
    expect(body).toMatch(/hash engine\/bcrypt\/service\.ts/);
    expect(body).toMatch(/loop c11 \d+ ms/);
    // No float noise: at most three decimals in any cell.
    expect(body).not.toMatch(/\d\.\d{4,}/);

    const json = JSON.parse(
      readFileSync((await (await download(p, () => p.getByTestId('export-json').click())).path())!, 'utf8'),
    ) as {
      meta: Record<string, unknown>;
      columns: string[];
      stalls: { blocker: string }[];
      bcryptRuns: { mode: string; cost: number }[];
    };
    expect(json.meta.time_zone).toBeTruthy();
    expect(json.meta.server_url).toBe(serve!.serverUrl);
    expect(json.columns.filter((c) => c.startsWith('proc'))).toEqual([]);
    expect(json.stalls.some((s) => s.blocker.includes('bcrypt/service.ts'))).toBe(true);
    expect(json.bcryptRuns.some((r) => r.mode === 'loop' && r.cost === 11)).toBe(true);
  }, 120_000);

  it('a chart PNG carries the chart’s title above it', async () => {
    const p = page!;
    const card = p.getByTestId('chart-event-loop');
    const file = await download(p, () => p.getByTestId('png-event-loop').click());
    const png = readFileSync((await file.path())!);
    const height = png.readUInt32BE(20);
    const canvasHeight = await card
      .locator('canvas')
      .evaluate((c) => (c as unknown as { height: number }).height);
    expect(height).toBeGreaterThan(canvasHeight);
    // Text drawn in the band above the chart: pixels brighter than the card.
    const lit = (await p.evaluate(`${pngBitmap(png)}.then((bitmap) => {
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, ${height - canvasHeight}).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 120 && data[i + 1] > 120) n++;
      return n;
    })`)) as number;
    expect(lit).toBeGreaterThan(50);
  }, 60_000);
});

/**
 * Counts the pixels of the bcrypt-marker orange in a canvas or bitmap: band and label, and the
 * label alone. Page source as text: evaluated by the test runner, never by the page (its CSP
 * allows no eval).
 */
const MARKER_PIXELS = `(source) => {
  const c = new OffscreenCanvas(source.width, source.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, source.width, source.height).data;
  let all = 0;
  let label = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (r > 50 && r - g > 8 && g - b > 5) all++;
    if (r > 120 && r - g > 40 && g - b > 40) label++;
  }
  return { all, label };
}`;
interface MarkerPixels {
  /** The band and the label. */
  all: number;
  /** The label's text alone (full-strength orange). */
  label: number;
}

/** A PNG's bytes as a bitmap in the page, for MARKER_PIXELS. */
const pngBitmap = (png: Buffer): string =>
  `createImageBitmap(new Blob([Uint8Array.from(atob('${png.toString('base64')}'), (ch) => ch.charCodeAt(0))], { type: 'image/png' }))`;

it('5: a bcrypt marker stays inside its window: label not cut at the right, gone once the run is older', async () => {
  await page!.getByTestId('stop-all').click();
  // A page of its own: the runs a page marks are its own, so this one's chart shows this run only.
  // The round-trip chart draws nothing else in orange while no client runs.
  const p = await context!.newPage();
  try {
    await p.goto(serve!.dashboardUrl);
    await waitFor(
      'connected',
      () => p.getByTestId('bridge-status').textContent(),
      (t) => t === 'connected',
    );
    // Only charts on screen are drawn: a stall listed above it (a busy machine stalls the server)
    // pushes the chart down, so it is brought back into view before each look.
    const count = async () => {
      await p.getByTestId('chart-rtt').scrollIntoViewIfNeeded();
      return (await p.evaluate(
        `(${MARKER_PIXELS})(document.querySelector('[data-testid="chart-rtt"] canvas'))`,
      )) as MarkerPixels;
    };
    await p.getByTestId('bcrypt-cost').selectOption('4');
    await p.getByTestId('bcrypt-loop').click();
    // With what the page said of the run and the span drawn, should the marker not come.
    const seen = async () => ({
      ...(await count()),
      result: await p.getByTestId('bcrypt-result').textContent(),
      bridge: await p.getByTestId('bridge-status').textContent(),
      snapshots: await p.getByTestId('kpis').getAttribute('data-snapshots'),
      at: Date.now(),
      drawn: await p.evaluate(
        `JSON.stringify(document.querySelector('[data-testid="chart-rtt"] canvas')?.dataset ?? null)`,
      ),
    });
    const fresh = await waitFor('the new marker', seen, (c) => c.label > 20, 30_000);
    // Once the run has moved well inside, its label is whole; at the right edge it already was.
    await samplesPass(p, 8);
    const inside = await count();
    expect(fresh.label).toBeGreaterThanOrEqual(inside.label * 0.9);
    const ranAt = Date.now();
    // A minute later the run is before the 1-minute window: nothing of it may stay on an edge.
    await waitFor(
      'a minute to pass',
      async () => Date.now() - ranAt,
      (ms) => ms > 60_000,
      70_000,
    );
    await samplesPass(p, 3);
    expect(await count()).toEqual({ all: 0, label: 0 });
    // The exported PNG holds no stale label either.
    const file = await download(p, () => p.getByTestId('png-rtt').click());
    const png = readFileSync((await file.path())!);
    expect(await p.evaluate(`${pngBitmap(png)}.then(${MARKER_PIXELS})`)).toEqual({ all: 0, label: 0 });
  } finally {
    await p.close();
  }
}, 150_000);

describe('12: bad states', () => {
  it('the token page shows no literal backticks', async () => {
    const other = await context!.newPage();
    await other.goto(serve!.dashboardUrl.replace(/\?token=.*$/, ''));
    const text = (await other.getByTestId('fatal').textContent()) ?? '';
    expect(text).toMatch(/npm run serve/);
    expect(text).not.toContain('`');
    await other.close();
  });

  it('controls that need the app are disabled until it is there, and again when it is gone', async () => {
    const own = await startServe();
    const other = await (context ?? (await launchChromium())).newPage();
    try {
      await other.goto(own.dashboardUrl);
      const needApp = [
        'spawn-ws-prime',
        'jobs-enqueue',
        'bcrypt-loop',
        'publish-apply',
        'stall-threshold-apply',
      ];
      const enabled = async () => {
        const states = await Promise.all(needApp.map((id) => other.getByTestId(id).isEnabled()));
        return states.filter(Boolean).length;
      };
      // Connected: all usable (the page went through "connecting" first, disabled).
      await waitFor(
        'connected',
        () => other.getByTestId('bridge-status').textContent(),
        (t) => t === 'connected',
      );
      await waitFor('enabled controls', enabled, (n) => n === needApp.length);
      await own.stop();
      await waitFor(
        'disconnected',
        () => other.getByTestId('bridge-status').textContent(),
        (t) => t !== 'connected',
      );
      await waitFor('disabled controls', enabled, (n) => n === 0);
      // What does not need the app still works: the window, pause and the exports.
      for (const id of ['window-5m', 'pause', 'export-csv', 'png-event-loop'])
        expect(await other.getByTestId(id).isEnabled()).toBe(true);
    } finally {
      await other.close();
      await own.stop();
    }
  }, 90_000);
});
