/**
 * The dashboard's Record / Stop, Open recording and Save report (issue 20), in Chromium against a
 * real `serve` child: a recording of what the page saw (a bcrypt stall, clients), saved as a file
 * that parses as the recording format; opened again, it draws the same chart values the live page
 * drew at the same time, lists the stall with its flame graph, and scrubs; a bad file is refused
 * by line with the live view untouched; the report it saves is the self-contained page.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecording, type Recording } from '../../common/recording';
import { openDashboard, spawnClientMix, waitFor, type ServeProcess } from './harness';

let serve: ServeProcess | null = null;
let context: BrowserContext | null = null;
let page: Page;
const dir = mkdtempSync(join(tmpdir(), 'loopscope-replay-'));
let file = '';
let recording: Recording;
/** The event-loop chart's newest points while live, just before Stop. */
let liveLast: { label: string; point: { x: number; y: number } | null }[] = [];

beforeAll(async () => {
  ({ serve, context, page } = await openDashboard());
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (serve) expect(await serve.stop()).toBe(0);
});

async function download(p: Page, click: () => Promise<void>): Promise<Download> {
  const [d] = await Promise.all([p.waitForEvent('download'), click()]);
  return d;
}

const lastPoints = async (p: Page) =>
  JSON.parse(
    (await p.getByTestId('chart-event-loop').locator('canvas').getAttribute('data-last')) ?? '[]',
  ) as typeof liveLast;

describe('Record, then Stop', () => {
  it('records what the page receives, a stall and its profile included, into a recording file', async () => {
    await page.getByTestId('record-toggle').click();
    await waitFor(
      'the recording clock',
      () => page.getByTestId('record-status').textContent(),
      (t) => /^● \d+:\d\d · \d+ KB$/.test(t ?? ''),
    );
    await spawnClientMix(page, 20);
    await page.getByTestId('bcrypt-cost').selectOption('12');
    await page.getByTestId('bcrypt-runs').fill('1');
    await page.getByTestId('bcrypt-loop').click();
    await waitFor(
      'the stall in the panel',
      async () =>
        (await page.getByTestId('stall-frame').allTextContents()).some((t) => t.startsWith('hash ')),
      (v) => v,
      15_000,
    );
    // A few samples after the stall, then the chart as it stands when Stop is pressed.
    const before = Number(await page.getByTestId('kpis').getAttribute('data-snapshots'));
    await waitFor(
      'three more samples',
      async () => Number(await page.getByTestId('kpis').getAttribute('data-snapshots')),
      (n) => n >= before + 3,
    );
    liveLast = await lastPoints(page);
    const saved = await download(page, () => page.getByTestId('record-toggle').click());
    expect(saved.suggestedFilename()).toMatch(/^loopscope-[\d-T]+\.ndjson$/);
    file = join(dir, saved.suggestedFilename());
    await saved.saveAs(file);
    recording = parseRecording(readFileSync(file, 'utf8'));
    expect(recording.meta).toMatchObject({ source: 'dashboard', commandLine: null });
    expect(recording.samples.length).toBeGreaterThanOrEqual(4);
    expect(recording.windows.length).toBeGreaterThan(0);
    const hash = recording.stalls.find((s) => s.stall.frames.some((f) => f.functionName === 'hash'));
    expect(hash, JSON.stringify(recording.stalls.map((s) => s.stall.frames[0]))).toBeDefined();
    expect(hash!.profile?.nodes.length).toBeGreaterThan(1);
    expect(recording.markers.map((m) => m.label)).toContain('bcrypt loop cost 12');
  }, 90_000);
});

describe('Open recording', () => {
  it('refuses a bad file by its line, and the live view goes on', async () => {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = 'not json';
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, lines.join('\n'));
    await page.getByTestId('open-recording').setInputFiles(bad);
    await waitFor(
      'the refusal',
      () => page.getByTestId('open-recording-error').textContent(),
      (t) => (t ?? '').includes('line 3: not JSON'),
    );
    expect(await page.getByTestId('replay-banner').isHidden()).toBe(true);
    const before = Number(await page.getByTestId('kpis').getAttribute('data-snapshots'));
    await waitFor(
      'live samples',
      async () => Number(await page.getByTestId('kpis').getAttribute('data-snapshots')),
      (n) => n > before,
    );
  });

  it('draws what the live page drew at the same time, lists the stall, and scrubs', async () => {
    await page.getByTestId('open-recording').setInputFiles(file);
    await waitFor(
      'the banner',
      () => page.getByTestId('replay-banner').isVisible(),
      (v) => v,
    );
    expect(await page.getByTestId('replay-name').textContent()).toBe(file.split('/').at(-1));
    // The slider where the live chart stood at Stop: the newest sample drawn is the same one.
    const x = liveLast.find((l) => l.point !== null)!.point!.x;
    const times = [
      recording.meta.startedAt,
      ...recording.samples.map((s) => s.time),
      ...recording.windows.map((w) => w.time),
      recording.summary?.time ?? 0,
    ].filter((t) => t > 0);
    const from = Math.min(...times);
    const to = Math.max(...times);
    const value = Math.ceil(((x - from) / (to - from)) * 1000);
    await page.getByTestId('replay-slider').fill(String(value));
    const replayed = await waitFor(
      'the replayed chart at that time',
      () => lastPoints(page),
      (l) => l.some((p) => p.point?.x === x),
    );
    for (const live of liveLast.filter((l) => l.point !== null)) {
      const same = replayed.find((r) => r.label === live.label);
      expect(same?.point?.x, live.label).toBe(live.point!.x);
      expect(same!.point!.y, live.label).toBeCloseTo(live.point!.y, 3);
    }
    // The stall, with its recorded samples as a flame graph (no server asked).
    const hashFrame = page.getByTestId('stall-frame').filter({ hasText: /^hash / });
    await page.getByTestId('stall-row').filter({ has: hashFrame }).first().click();
    await waitFor(
      'its flame graph',
      () => page.getByTestId('stall-flame').locator('g.flame-frame[data-name="hash"]').count(),
      (n) => n > 0,
    );
    // Back to the start: nothing of the recording is drawn yet.
    await page.getByTestId('replay-slider').fill('0');
    const start = await waitFor(
      'the start',
      () => lastPoints(page),
      (l) => l.every((p) => p.point === null || p.point.x < x),
    );
    expect(start.every((p) => p.point === null || p.point.x <= from + 1000)).toBe(true);
  });

  it('saves the report of the recording shown, and goes back to live', async () => {
    await page.getByTestId('replay-slider').fill('1000');
    const saved = await download(page, () => page.getByTestId('save-report').click());
    const html = readFileSync((await saved.path())!, 'utf8');
    expect(html).toContain('<canvas id="chart-loop"');
    expect(html).toMatch(/hash \S*service\.ts:\d+/);
    // The server stalls while the recording is shown: the live panel takes it meanwhile.
    const hashed = await fetch(`${serve!.serverUrl}/bcrypt?mode=loop&cost=12`, { method: 'POST', body: 'x' });
    expect(hashed.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await page.getByTestId('replay-banner').isVisible()).toBe(true);
    await page.getByTestId('replay-back').click();
    expect(await page.getByTestId('replay-banner').isHidden()).toBe(true);
    // Live again: the chart's newest point moves past the recording's end.
    const end = recording.samples.at(-1)!.time;
    await waitFor(
      'live points again',
      () => lastPoints(page),
      (l) => l.some((p) => (p.point?.x ?? 0) > end),
    );
    // The live panel holds the server's own again: the hash recorded and the one while it was shown.
    await waitFor(
      'the live stall list',
      async () =>
        (await page.getByTestId('stall-frame').allTextContents()).filter((t) => t.startsWith('hash ')),
      (l) => l.length >= 2,
    );
    const since = /since (\d\d:\d\d:\d\d)/.exec(
      (await page.getByTestId('stalls-summary').textContent()) ?? '',
    );
    expect(since, 'the summary says since when').not.toBeNull();
    const sinceTime = (t: number) => new Date(t).toTimeString().slice(0, 8);
    expect(since![1]! <= sinceTime(recording.meta.startedAt)).toBe(true);
  });
});

describe('Stop right after a stall', () => {
  it("waits for the stall's CPU samples, which the app sends a moment after the stall", async () => {
    await page.getByTestId('record-toggle').click();
    await waitFor(
      'recording',
      () => page.getByTestId('record-toggle').textContent(),
      (t) => t === 'Stop',
    );
    // The page presses Stop itself the moment the stall's row appears: before the app has
    // answered for the stall's samples.
    await page.evaluate(`(() => {
      const list = document.querySelector('[data-testid="stalls-list"]');
      const rows = () => list.querySelectorAll('[data-testid="stall-row"]').length;
      const before = rows();
      new MutationObserver((_, observer) => {
        if (rows() <= before) return;
        observer.disconnect();
        document.querySelector('[data-testid="record-toggle"]').click();
      }).observe(list, { childList: true, subtree: true });
    })()`);
    const saved = await download(page, async () => {
      const hashed = await fetch(`${serve!.serverUrl}/bcrypt?mode=loop&cost=12`, {
        method: 'POST',
        body: 'x',
      });
      expect(hashed.status).toBe(200);
    });
    const stopped = parseRecording(readFileSync((await saved.path())!, 'utf8'));
    const hash = stopped.stalls.find((s) => s.stall.frames.some((f) => f.functionName === 'hash'));
    expect(hash, JSON.stringify(stopped.stalls.map((s) => s.stall.frames[0]))).toBeDefined();
    expect(hash!.profile?.nodes.length).toBeGreaterThan(1);
  }, 60_000);
});
