/**
 * A stall's `.cpuprofile` (GET /stalls/ID/profile) opened by a real consumer: Chromium's own
 * DevTools. Debian's Chromium carries the DevTools front end (devtools://devtools/bundled/); its
 * CPUProfileDataModel (models/cpu_profile) is what the Performance and JavaScript Profiler panels
 * build from a loaded .cpuprofile. The file a real `serve` hands out is given to that model as
 * DevTools reads a file (the text, parsed), and the test reads back what DevTools made of it.
 *
 * What this proves: DevTools accepts the file as a Profiler.Profile — it finds the root first,
 * turns timeDeltas into timestamps, resolves every sample to a node, and walks the samples as the
 * flame chart does (forEachFrame) — and it shows busyWait in the TypeScript file at the line where
 * the function begins (DevTools adds one to the format's 0-based line). What it does not: that the
 * panel's UI draws it (a headless page has no user to load a file); the model is that panel's input.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stall } from '../../common/stalls';
import { request, until } from '../integration/engine-client';
import { baseUrl, serve, type Child } from '../integration/serve-child';
import { CHROMIUM, launchChromium, ROOT } from './harness';

const FIXTURE = join(ROOT, 'test/fixtures/stall-blocker.ts');
/** 1-based line where busyWait begins, read from the file so an edit cannot desync the test. */
const BUSY_WAIT_LINE =
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('function busyWait(')) + 1;

/** What the test reads back from DevTools' model (plain data: it crosses from the page). */
interface ModelReading {
  head: string;
  nodes: number;
  samples: number;
  unresolved: number;
  timestamps: number;
  spanMs: number;
  busyWait: { url: string; lineNumber: number }[];
  /** Time forEachFrame gave busyWait's frames, summed (ms). */
  busyWaitMs: number;
}

let child: Child | null = null;
let base = '';
let context: BrowserContext | null = null;
const msFile = join(mkdtempSync(join(tmpdir(), 'loopscope-devtools-')), 'ms');

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  child = serve(['--port', '0'], { imports: [FIXTURE], env: { STALL_FIXTURE_FILE: msFile } });
  base = await baseUrl(child);
  context = await launchChromium();
}, 60_000);

afterAll(async () => {
  await context?.close();
  child?.proc.kill('SIGKILL');
});

describe("a stall's .cpuprofile in Chromium's DevTools", () => {
  it('is read by DevTools: one tree, every sample resolved, busyWait at its TypeScript line', async () => {
    const listed = async (): Promise<Stall[]> =>
      (await request(`${base}/stalls`)).json<{ stalls: Stall[] }>().stalls;
    const since = (await listed()).at(-1)?.id ?? 0;
    writeFileSync(msFile, '500');
    child!.proc.kill('SIGUSR2');
    let stall: Stall | undefined;
    await until(
      async () =>
        (stall = (await listed()).find(
          (s) => s.id > since && s.frames.some((f) => f.functionName === 'busyWait'),
        )) !== undefined,
      'the busyWait stall',
      15_000,
    );

    const reply = await request(`${base}/stalls/${stall!.id}/profile`);
    expect(reply.status).toBe(200);
    // Saved as a person's browser would save it, and read back from the disk.
    const file = join(tmpdir(), `loopscope-${process.pid}-stall-${stall!.id}.cpuprofile`);
    writeFileSync(file, reply.text);
    const text = readFileSync(file, 'utf8');

    const page = await context!.newPage();
    await page.goto('devtools://devtools/bundled/devtools_app.html');
    // As text: vitest would rewrite an import() written in the test's own code. The path is the
    // page's own module, beside devtools_app.html.
    await page.evaluate(
      "import('./models/cpu_profile/cpu_profile.js').then((m) => { globalThis.cpuProfile = m; })",
    );
    const reading = await page.evaluate((fileText: string): ModelReading => {
      interface Node {
        functionName: string;
        url: string;
        lineNumber: number;
      }
      interface Model {
        profileHead: Node;
        samples: number[];
        timestamps: number[];
        profileStartTime: number;
        profileEndTime: number;
        nodes(): Node[];
        nodeById(id: number): Node | null;
        forEachFrame(
          open: () => void,
          close: (depth: number, node: Node, i: number, start: number, total: number) => void,
        ): void;
      }
      const mod = (globalThis as unknown as Record<string, unknown>).cpuProfile as {
        CPUProfileDataModel: { CPUProfileDataModel: new (profile: unknown) => Model };
      };
      const model = new mod.CPUProfileDataModel.CPUProfileDataModel(JSON.parse(fileText));
      let busyWaitMs = 0;
      model.forEachFrame(
        () => undefined,
        (_depth, node, _i, _start, total) => {
          if (node.functionName === 'busyWait') busyWaitMs += total;
        },
      );
      return {
        head: model.profileHead.functionName,
        nodes: model.nodes().length,
        samples: model.samples.length,
        unresolved: model.samples.filter((id) => model.nodeById(id) === null).length,
        timestamps: model.timestamps.length,
        spanMs: model.profileEndTime - model.profileStartTime,
        busyWait: model
          .nodes()
          .filter((n) => n.functionName === 'busyWait')
          .map((n) => ({ url: n.url, lineNumber: n.lineNumber })),
        busyWaitMs,
      };
    }, text);
    await page.close();

    const profile = JSON.parse(text) as { nodes: unknown[]; samples: number[] };
    expect(reading.head).toBe('(root)');
    expect(reading.nodes).toBe(profile.nodes.length);
    expect(reading.samples).toBe(profile.samples.length);
    expect(reading.samples).toBeGreaterThan(1);
    expect(reading.unresolved).toBe(0);
    expect(reading.timestamps).toBeGreaterThanOrEqual(reading.samples);
    expect(reading.busyWait.length).toBeGreaterThan(0);
    for (const n of reading.busyWait) {
      expect(n.url).toBe(`file://${FIXTURE}`);
      expect(n.lineNumber + 1).toBe(BUSY_WAIT_LINE);
    }
    // Where the stall's time went, as DevTools' flame chart walks it: mostly busyWait.
    expect(reading.busyWaitMs).toBeGreaterThan(reading.spanMs / 2);
  }, 60_000);
});
