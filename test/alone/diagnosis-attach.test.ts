/**
 * docs/protocol.md §12 over attach: a shop service nobody here wrote (test/fixtures/shop), started
 * without --inspect and attached the way a user attaches (`attach --pid P --json`), is made to
 * keep its clients waiting for one reason at a time; the stream's `diagnosis` lines must name that
 * reason, with its culprit, and not blame the loop where it was free. Idle, nothing at all.
 *
 * In test/alone/: these runs fill the pool, starve a CPU and grow a heap on purpose, so they run
 * after the rest of the suite, one file at a time (vitest.config.ts).
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachEvent } from '../../common/attach';
import type { Diagnosis } from '../../common/diagnosis';
import { startAttach, type LiveAttach } from '../fixtures/attach-stress';
import { until } from '../fixtures/poll';
import { callRepeatedly, startShop, type Shop } from '../fixtures/shop/run';
import { lineOf } from '../fixtures/attach-target/paths';
import { SHOP } from '../fixtures/shop/run';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function shop(opts: Parameters<typeof startShop>[0] = {}): Promise<Shop> {
  const s = await startShop(opts);
  cleanup.push(() => s.stop());
  return s;
}

/** Attaches and waits for `attached`; the caller detaches with `detach`. */
async function attach(pid: number): Promise<LiveAttach> {
  const a = startAttach(['--pid', String(pid), '--json', '--duration', '120']);
  cleanup.push(async () => {
    if (a.proc.exitCode === null) a.proc.kill('SIGKILL');
  });
  await until(() => a.events.some((e) => e.type === 'attached'), `attached (${a.stderr()})`, 30_000, 50);
  return a;
}

/** Detaches (SIGINT, as Ctrl-C) and returns the episodes the stream reported. */
async function detach(a: LiveAttach): Promise<{ events: AttachEvent[]; diagnoses: Diagnosis[] }> {
  a.proc.kill('SIGINT');
  expect(await a.exit).toBe(0);
  const diagnoses = a.events.filter((e): e is Diagnosis => e.type === 'diagnosis');
  return { events: a.events, diagnoses };
}

const opened = (list: Diagnosis[], cause: Diagnosis['cause']): Diagnosis[] =>
  list.filter((d) => d.cause === cause && d.endedAt === null);
const causes = (list: Diagnosis[]): string[] => [...new Set(list.map((d) => d.cause))];

/** Every opening has its closing (same id), the last ones at detach, before `detached`. */
function expectClosed(events: AttachEvent[]): void {
  const lines = events.filter((e): e is Diagnosis => e.type === 'diagnosis');
  for (const d of lines.filter((l) => l.endedAt === null))
    expect(
      lines.some((l) => l.id === d.id && l.endedAt !== null),
      `episode ${d.id} closed`,
    ).toBe(true);
  const detached = events.findIndex((e) => e.type === 'detached');
  expect(detached).toBe(events.length - 1);
}

describe('why clients wait, diagnosed in an attached process (docs/protocol.md §12)', () => {
  it('says nothing while the process is idle', async () => {
    const s = await shop();
    const a = await attach(s.pid);
    await new Promise((r) => setTimeout(r, 6_000));
    const { diagnoses, events } = await detach(a);
    expect(events.filter((e) => e.type === 'sample').length).toBeGreaterThanOrEqual(4);
    expect(diagnoses).toEqual([]);
  }, 60_000);

  it('names a slow upstream by origin, and not the loop', async () => {
    const payments = http.createServer((_req, res) => setTimeout(() => res.end('paid'), 600));
    await new Promise<void>((r) => payments.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => payments.close(r)));
    const origin = `http://127.0.0.1:${(payments.address() as { port: number }).port}`;
    const s = await shop({ env: { PAYMENTS_URL: `${origin}/pay` } });
    // A warm shop: its first fetch loads undici, a real stall of its own that is not this test's.
    await callRepeatedly(s.port, '/checkout', { clients: 1, ms: 1 });
    const a = await attach(s.pid);
    const calls = await callRepeatedly(s.port, '/checkout', { clients: 20, ms: 6_000 });
    const { diagnoses, events } = await detach(a);
    expect(calls.answered).toBeGreaterThan(100);
    const up = opened(diagnoses, 'upstream');
    expect(up.length, JSON.stringify(diagnoses)).toBeGreaterThanOrEqual(1);
    expect(up[0]!.culprit).toEqual({ origin });
    expect(up[0]!.evidence.p99Ms).toBeGreaterThanOrEqual(550);
    expect(up[0]!.summary).toContain(origin);
    expect(causes(diagnoses)).not.toContain('loop');
    expectClosed(events);
  }, 90_000);

  it("names libuv's threadpool and who fills it (crypto), and not the loop", async () => {
    const s = await shop();
    const a = await attach(s.pid);
    const calls = await callRepeatedly(s.port, '/thumb', { clients: 24, ms: 6_000 });
    const { diagnoses, events } = await detach(a);
    expect(calls.answered).toBeGreaterThan(24);
    const pool = opened(diagnoses, 'threadpool');
    expect(pool.length, JSON.stringify(diagnoses)).toBeGreaterThanOrEqual(1);
    expect(pool[0]!.evidence.poolSize).toBe(4);
    expect(pool[0]!.evidence.waitMs).toBeGreaterThanOrEqual(50);
    // The hook that says who fills the pool goes on once a probe waits: by the worst sample it knows.
    const last = diagnoses.filter((d) => d.cause === 'threadpool').at(-1)!;
    expect(last.culprit.resource).toBe('crypto');
    expect(Number(last.culprit.pending)).toBeGreaterThan(4);
    expect(causes(diagnoses)).not.toContain('loop');
    expectClosed(events);
  }, 90_000);

  it('names the function that holds the loop, and no collection for a plain busy loop', async () => {
    const s = await shop({ env: { RANK_MS: '400' } });
    const a = await attach(s.pid);
    await callRepeatedly(s.port, '/rank', { clients: 1, ms: 5_000, gapMs: 600 });
    const { diagnoses, events } = await detach(a);
    const loop = opened(diagnoses, 'loop');
    expect(loop.length, JSON.stringify(diagnoses)).toBeGreaterThanOrEqual(1);
    expect(loop[0]!.culprit).toMatchObject({
      functionName: 'rankCatalogue',
      url: `file://${SHOP}`,
      lineNumber: lineOf(SHOP, 'RANK-MARKER'),
    });
    expect(Number(loop[0]!.evidence.stallMs)).toBeGreaterThanOrEqual(300);
    expect(causes(diagnoses)).not.toContain('gc');
    expectClosed(events);
  }, 90_000);

  it('says a collection held the loop when the heap nears its limit, not the code that ran', async () => {
    // 1.5 M live records in a heap capped at 320 MB: each major collection is a long pause.
    const s = await shop({ env: { LIVE_RECORDS: '1500000' }, nodeArgs: ['--max-old-space-size=320'] });
    const a = await attach(s.pid);
    await callRepeatedly(s.port, '/query', { clients: 2, ms: 10_000, gapMs: 20 });
    const { diagnoses, events } = await detach(a);
    const gc = opened(diagnoses, 'gc');
    expect(gc.length, JSON.stringify(diagnoses)).toBeGreaterThanOrEqual(1);
    const worst = diagnoses
      .filter((d) => d.cause === 'gc')
      .sort((x, y) => Number(y.evidence.gcMs) - Number(x.evidence.gcMs))[0]!;
    expect(worst.evidence.kind).toBe('major');
    expect(Number(worst.evidence.heapLimitBytes)).toBeLessThan(500e6);
    expect(Number(worst.evidence.heapUsedBytes)).toBeGreaterThan(150e6);
    // A stall the collector held is never a `loop` episode named after it.
    for (const d of diagnoses.filter((x) => x.cause === 'loop'))
      expect(d.culprit.functionName).not.toBe('(garbage collector)');
    expectClosed(events);
  }, 120_000);

  it('says the process got no CPU when other processes take it', async () => {
    // The shop and six busy processes share CPU 0: the shop's loop waits its turn.
    const s = await shop({ prefix: ['taskset', '-c', '0'], env: { LIGHT_MS: '6' } });
    const { spawn } = await import('node:child_process');
    const hogs = Array.from({ length: 6 }, () =>
      spawn('taskset', [
        '-c',
        '0',
        process.execPath,
        '-e',
        'const end = Date.now() + 30000; while (Date.now() < end);',
      ]),
    );
    cleanup.push(() => hogs.forEach((h) => h.kill('SIGKILL')));
    const a = await attach(s.pid);
    await callRepeatedly(s.port, '/light', { clients: 8, ms: 8_000 });
    for (const h of hogs) h.kill('SIGKILL');
    const { diagnoses, events } = await detach(a);
    const cpu = opened(diagnoses, 'cpu');
    const felt = events.map((e) => (e.type === 'sample' ? e.requests.p99Ms : e.type)).join(' ');
    expect(
      cpu.length,
      `${JSON.stringify(diagnoses)}; request p99 per sample: ${felt}`,
    ).toBeGreaterThanOrEqual(1);
    expect(cpu[0]!.evidence.cores).toBe(1);
    expect(Number(cpu[0]!.evidence.cpuPercent)).toBeLessThan(75);
    expect(cpu[0]!.summary).toMatch(/got no CPU for \d+% of the time/);
    expectClosed(events);
  }, 90_000);

  it('says the heap after collection keeps growing (30 s in a row)', async () => {
    const s = await shop();
    const a = await attach(s.pid);
    // 20 logins a second, each keeping 256 KB: about 5 MB/s.
    await callRepeatedly(s.port, '/login', { clients: 1, ms: 42_000, gapMs: 50 });
    const { diagnoses, events } = await detach(a);
    const memory = opened(diagnoses, 'memory');
    expect(memory.length, JSON.stringify(diagnoses)).toBe(1);
    expect(Number(memory[0]!.evidence.bytesPerMin)).toBeGreaterThan(60e6);
    expect(Number(memory[0]!.evidence.minutesToLimit)).toBeGreaterThan(0);
    expect(causes(diagnoses)).not.toContain('loop');
    expectClosed(events);
  }, 120_000);
});
