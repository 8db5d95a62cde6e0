/**
 * The HTML report (issue 20) opened as a person opens it: from disk, in Chromium, with every
 * network request blocked. It must attempt none, log no console error, draw every chart with
 * chart.js, and name each stall by its function and file:line; the compare must name both runs and
 * draw both on each chart. The recordings come from real `load --record` runs against real `serve`.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecording } from '../../common/recording';
import { culpritFrame, frameText } from '../../common/stalls';
import { recordRun, type RecordedRun } from '../fixtures/recorded-run';
import { baseUrl, serve, type Child } from '../integration/serve-child';
import { CHROMIUM, launchChromium, ROOT } from './harness';

let child: Child | null = null;
let context: BrowserContext | null = null;
let dir = '';
let a: RecordedRun;
let b: RecordedRun;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  dir = mkdtempSync(join(tmpdir(), 'loopscope-report-'));
  child = serve(['--port', '0']);
  const base = await baseUrl(child);
  a = await recordRun(base, dir, 'before', { seconds: 4, hashCost: 12 });
  b = await recordRun(base, dir, 'after', { seconds: 4 });
  context = await launchChromium();
}, 120_000);

afterAll(async () => {
  await context?.close();
  child?.proc.kill('SIGKILL');
});

interface Opened {
  page: Page;
  /** Every request the page tried beyond its own file. */
  requests: string[];
  errors: string[];
}

async function openOffline(file: string): Promise<Opened> {
  const page = await context!.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  // Nothing leaves the page: every request but the file itself is recorded and aborted.
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction('document.body.dataset.chartsDrawn !== undefined', null, { timeout: 10_000 });
  return { page, requests, errors };
}

interface Drawn {
  id: string;
  lines: number;
  points: number;
  /** Pixels with any ink: the chart was drawn, not only sized. */
  inked: number;
}

/** Each canvas: its lines and points as the page's script set them, and whether it has ink. */
const CANVASES = `[...document.querySelectorAll('canvas')].map((c) => {
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
  return { id: c.id, lines: Number(c.dataset.lines), points: Number(c.dataset.points), inked };
})`;

/** Each chart.js chart's lines that have points, by their legend labels. */
const CHART_LABELS = `Object.values(Chart.instances).map((c) => ({
  id: c.canvas.id,
  labels: c.data.datasets.filter((d) => d.data.length > 0).map((d) => d.label),
}))`;

describe('the report, opened from disk with the network blocked', () => {
  it('attempts no request, logs no error, and draws its charts', async () => {
    expect(a.result.code, a.result.stderr).toBe(0);
    const { page, requests, errors } = await openOffline(a.report);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    const drawn = (await page.evaluate(CANVASES)) as Drawn[];
    expect(drawn.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'chart-rtt',
        'chart-delivery',
        'chart-loop',
        'chart-connections',
        'chart-throughput',
      ]),
    );
    for (const c of drawn) {
      expect(c.lines, c.id).toBeGreaterThan(0);
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.inked, c.id).toBeGreaterThan(100);
    }
    await expect(page.getByTestId('verdict').first().textContent()).resolves.toContain('passed');
    await page.close();
  });

  it('names each stall by its function and file:line, with its stack and flame graph', async () => {
    const recording = parseRecording(readFileSync(a.recording, 'utf8'));
    expect(recording.stalls.length).toBeGreaterThanOrEqual(1);
    const { page } = await openOffline(a.report);
    const shown = await page.getByTestId('stall').allTextContents();
    expect(shown.length).toBe(new Set(recording.stalls.map((s) => s.stall.id)).size);
    for (const s of recording.stalls) {
      const name = frameText(culpritFrame(s.stall));
      expect(
        shown.some((t) => t.includes(name)),
        name,
      ).toBe(true);
    }
    // The hash's stall: its flame graph has the function that ran bcrypt on the loop.
    expect(await page.locator('svg.flame g.flame-frame[data-name="hash"]').count()).toBeGreaterThan(0);
    await page.close();
  });
});

describe('the compare', () => {
  it('names both runs and draws both on each chart', async () => {
    const out = join(dir, 'compare.html');
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'main/cli/index.ts', 'report', a.recording, b.recording, '-o', out],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(res.status, res.stderr).toBe(0);
    const { page, requests, errors } = await openOffline(out);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.getByTestId('run-name').allTextContents()).toEqual(['before', 'after']);
    // Each chart carries lines of both runs, told apart by their legend's prefix.
    const labels = (await page.evaluate(CHART_LABELS)) as { id: string; labels: string[] }[];
    expect(labels.length).toBeGreaterThanOrEqual(5);
    for (const c of labels) {
      expect(
        c.labels.some((l) => l.startsWith('before: ')),
        c.id,
      ).toBe(true);
      expect(
        c.labels.some((l) => l.startsWith('after: ')),
        c.id,
      ).toBe(true);
    }
    const headlines = await page.getByTestId('headlines').textContent();
    expect(headlines).toMatch(/HTTP round trip p99/);
    expect(headlines).toMatch(/[+-]\d+\.\d %/);
    await page.close();
  });
});
