/**
 * The stall explorer over a real `serve` process (docs/protocol.md §9): a fixture preloaded into it
 * blocks the loop in a known function on SIGUSR2, bcrypt blocks it in native code, and every
 * check reads what the server itself reports over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../common/cpuprofile';
import { culpritFrame, frameText, type Stall } from '../../common/stalls';
import { post, request, until } from './engine-client';
import { listeningUrl } from './serve-child';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(root, 'test/fixtures/stall-blocker.ts');
/** 1-based line of the fixture's busy loop, read from the file so an edit cannot desync the test. */
const STALL_LINE =
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('// STALL-LINE')) + 1;
/** 1-based line where busyWait begins: where a profile's node for it points (0-based there). */
const BUSY_WAIT_LINE =
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('function busyWait(')) + 1;

interface Serve {
  proc: ChildProcess;
  base: string;
  stdout: () => string;
  exit: Promise<number | null>;
  /** Blocks the server's loop in busyWait() for `ms`. */
  block(ms: number): void;
}

async function serve(...args: string[]): Promise<Serve> {
  const msFile = join(mkdtempSync(join(tmpdir(), 'loopscope-stall-')), 'ms');
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      FIXTURE,
      'main/cli/index.ts',
      'serve',
      '--no-dashboard',
      '--port',
      '0',
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STALL_FIXTURE_FILE: msFile } },
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (err += c));
  const exit = once(proc, 'exit').then(([code]) => code as number | null);
  await until(() => listeningUrl(out) !== null || proc.exitCode !== null, 'the listening line', 20_000);
  const base = listeningUrl(out);
  if (!base) throw new Error(`serve did not start:\n${out}\n${err}`);
  return {
    proc,
    base,
    stdout: () => out,
    exit,
    block(ms) {
      writeFileSync(msFile, String(ms));
      proc.kill('SIGUSR2');
    },
  };
}

async function stallsSince(base: string, since: number): Promise<{ thresholdMs: number; stalls: Stall[] }> {
  return (await request(`${base}/stalls?since=${since}`)).json();
}

async function lastId(base: string): Promise<number> {
  const { stalls } = await stallsSince(base, 0);
  return stalls.at(-1)?.id ?? 0;
}

const blamed = (stall: Stall, fn: string): boolean => stall.frames.some((f) => f.functionName === fn);

/**
 * Waits for the first stall after `since` that `match` picks. A machine busy with other work can
 * stall the server on its own (a late write, a collection): such stalls are listed too, rightly,
 * and are not the one a test caused.
 */
async function stallWhere(
  base: string,
  since: number,
  match: (s: Stall) => boolean,
  ms = 15_000,
): Promise<Stall> {
  let found: Stall | undefined;
  let listed: Stall[] = [];
  try {
    await until(
      async () => (found = (listed = (await stallsSince(base, since)).stalls).find(match)) !== undefined,
      `a matching stall after #${since}`,
      ms,
    );
  } catch (err) {
    // What was listed instead says whether the stall was missed, split or blamed elsewhere.
    const seen = listed.map(
      (x) => `${x.durationMs} ms ${x.stackFrom} ${culpritFrame(x)?.functionName ?? '?'}`,
    );
    throw new Error(`${(err as Error).message}; listed: ${seen.join(', ') || 'none'}`);
  }
  return found!;
}

describe('stall explorer over a real serve', () => {
  let s: Serve;
  beforeAll(async () => {
    s = await serve('--log-stalls');
  });
  afterAll(() => {
    s?.proc.kill('SIGKILL');
  });

  it('names the blocking function and its line in the fixture, caught mid-stall, listed soon after the loop is free', async () => {
    const since = await lastId(s.base);
    s.block(300);
    // Queued behind the stall: answered the moment the loop is free again.
    await request(`${s.base}/`);
    const freeAt = performance.now();
    const stall = await stallWhere(s.base, since, (x) => blamed(x, 'busyWait'));
    const listedAfterMs = performance.now() - freeAt;
    expect(stall!.process).toBe('server');
    expect(stall!.stackFrom).toBe('pause');
    expect(stall!.durationMs).toBeGreaterThanOrEqual(290);
    expect(stall!.detectedAfterMs).toBeGreaterThanOrEqual(100);
    // Loose bounds: the targets (detected ≤ 150 ms, listed ≤ 250 ms at p99) are measured by the
    // bench (bench/stalls.ts), not by a test that shares two cores with other test files.
    expect(stall!.detectedAfterMs).toBeLessThan(1_000);
    // Named by the innermost frame in project code (the pause may land inside performance.now).
    expect(culpritFrame(stall!)).toMatchObject({ functionName: 'busyWait', lineNumber: STALL_LINE });
    expect(culpritFrame(stall!)!.url).toBe(`file://${FIXTURE}`);
    // Where the time went, from the samples: most of the 300 ms.
    expect(stall!.hot.reduce((sum, h) => sum + h.selfMs, 0)).toBeGreaterThan(200);
    // Listed within 250 ms at p99 is the bench's figure; here only "soon", on a shared machine.
    expect(listedAfterMs).toBeLessThanOrEqual(10_000);
    await until(
      () => s.stdout().includes(`busyWait test/fixtures/stall-blocker.ts:${STALL_LINE}`),
      'the --log-stalls line',
    );
  });

  it("serves a stall's CPU samples as a .cpuprofile download, source-mapped to the fixture's TypeScript", async () => {
    const since = await lastId(s.base);
    s.block(300);
    await request(`${s.base}/`);
    const stall = await stallWhere(s.base, since, (x) => blamed(x, 'busyWait'));

    const reply = await request(`${s.base}/stalls/${stall.id}/profile`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['content-disposition']).toBe(`attachment; filename="stall-${stall.id}.cpuprofile"`);
    const profile = reply.json<CpuProfile>();
    expect(Object.keys(profile).sort()).toEqual(['endTime', 'nodes', 'samples', 'startTime', 'timeDeltas']);
    // The stall's window: as long as the stall (both from the same two heartbeats, µs vs 0.1 ms).
    expect(Math.abs((profile.endTime - profile.startTime) / 1000 - stall.durationMs)).toBeLessThan(0.2);
    expect(profile.samples.length).toBeGreaterThan(0);
    expect(profile.timeDeltas).toHaveLength(profile.samples.length);
    expect(profile.nodes[0]!.callFrame.functionName).toBe('(root)');
    const ids = new Set(profile.nodes.map((n) => n.id));
    expect(profile.samples.every((id) => ids.has(id))).toBe(true);
    // busyWait, in the TypeScript file and at the line where it begins, 0-based as the format has
    // it (§9's frames are 1-based).
    const busy = profile.nodes.filter((n) => n.callFrame.functionName === 'busyWait');
    expect(busy.length).toBeGreaterThan(0);
    for (const n of busy) {
      expect(n.callFrame.url).toBe(`file://${FIXTURE}`);
      expect(n.callFrame.lineNumber).toBe(BUSY_WAIT_LINE - 1);
      expect(n.callFrame.columnNumber).toBeGreaterThanOrEqual(0);
    }

    const head = await request(`${s.base}/stalls/${stall.id}/profile`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-disposition']).toBe(reply.headers['content-disposition']);
  });

  it('a stall not kept, or no stall at all, is a 404 not_found; only GET and HEAD are allowed', async () => {
    for (const path of [
      '/stalls/999999/profile',
      '/stalls/0/profile',
      '/stalls/abc/profile',
      '/stalls/1x/profile',
    ]) {
      const reply = await request(`${s.base}${path}`);
      expect(reply.status, path).toBe(404);
      expect(reply.json(), path).toMatchObject({ error: 'not_found' });
    }
    const put = await request(`${s.base}/stalls/1/profile`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD');
  });

  it('bcrypt on the loop is named in the bcrypt service from CPU samples, not in the code that ran after it', async () => {
    // Up to three runs: on a machine loaded by other test files, one run's samples can be too few
    // to name it (the bench measures the naming rate; this proves where the name comes from).
    let stall: Stall | undefined;
    const misses: string[] = [];
    for (let run = 0; run < 3 && !stall; run++) {
      const since = await lastId(s.base);
      const reply = await post(`${s.base}/bcrypt?mode=loop&cost=12`, 'hunter2');
      expect(reply.status).toBe(200);
      stall = await stallWhere(s.base, since, (x) => blamed(x, 'hashSync')).catch(async () => {
        const listed = (await stallsSince(s.base, since)).stalls;
        misses.push(listed.map((x) => `${x.durationMs} ms: ${frameText(culpritFrame(x))}`).join('; '));
        return undefined;
      });
    }
    expect(stall, `bcrypt stalls were listed as: ${misses.join(' | ')}`).toBeDefined();
    expect(stall!.stackFrom).toBe('profile');
    expect(stall!.frames[0]!.functionName).toBe('(native)');
    expect(stall!.frames.map((f) => f.functionName)).toContain('hashSync');
    const culprit = culpritFrame(stall!)!;
    expect(culprit.url).toMatch(/\/main\/engine\/bcrypt\/service\.ts$/);
    expect(culprit.functionName).toBe('hash');
    expect(culprit.lineNumber).toBeGreaterThan(0);
    expect(stall!.hot[0]?.functionName).toBe('(native)');
  });

  it('runs sent one after another are one stall each, each named from its own samples', async () => {
    // The dashboard's "× N": the next hash starts the moment the last reply is read, often before
    // the loop has served the watchdog's request to stop the last stall's profile; the next
    // stall's samples are then in that profile, not in the one stopped for it.
    const since = await lastId(s.base);
    const runs = 8;
    for (let run = 0; run < runs; run++) {
      const reply = await fetch(`${s.base}/bcrypt?mode=loop&cost=12`, { method: 'POST', body: 'hunter2' });
      expect(reply.status).toBe(200);
      await reply.text();
    }
    // Named by samples, in hash: every run. A stall the busy machine caused on its own is let be.
    const listed = async (): Promise<Stall[]> => (await stallsSince(s.base, since)).stalls;
    const named = (x: Stall) => x.stackFrom === 'profile' && culpritFrame(x)?.functionName === 'hash';
    await until(async () => (await listed()).filter(named).length >= runs, `${runs} hash stalls`).catch(
      () => undefined,
    );
    const all = await listed();
    expect(
      all.filter(named).length,
      all.map((x) => `${x.durationMs} ms ${x.stackFrom} ${frameText(culpritFrame(x))}`).join('; '),
    ).toBeGreaterThanOrEqual(runs);
  });

  it('bcrypt on the pool is no stall of the loop', async () => {
    const since = await lastId(s.base);
    const reply = await post(`${s.base}/bcrypt?mode=pool&cost=12`, 'hunter2');
    expect(reply.status).toBe(200);
    // A marker stall after it: once the marker is listed, a stall before it would be too.
    s.block(200);
    await stallWhere(s.base, since, (x) => blamed(x, 'busyWait'));
    const stalls = (await stallsSince(s.base, since)).stalls;
    expect(stalls.filter((x) => blamed(x, 'hashSync'))).toEqual([]);
  });

  it('the threshold decides what counts; out of range is a bad_request naming the range', async () => {
    const bad = await request(`${s.base}/stalls/threshold`, { method: 'PUT', body: '{"thresholdMs": 10}' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_request' });
    expect(bad.json<{ message: string }>().message).toMatch(/thresholdMs.*20 to 5000/);
    const set = await request(`${s.base}/stalls/threshold`, { method: 'PUT', body: '{"thresholdMs": 400}' });
    expect(set.status).toBe(200);
    expect(set.json()).toEqual({ thresholdMs: 400 });
    try {
      const since = await lastId(s.base);
      s.block(200); // under 400 ms: not a stall now
      await request(`${s.base}/`);
      s.block(600); // the marker
      await stallWhere(s.base, since, (x) => blamed(x, 'busyWait'));
      const stalls = (await stallsSince(s.base, since)).stalls.filter((x) => blamed(x, 'busyWait'));
      expect(stalls).toHaveLength(1);
      expect(stalls[0]!.durationMs).toBeGreaterThanOrEqual(590);
      expect((await stallsSince(s.base, 0)).thresholdMs).toBe(400);
    } finally {
      await request(`${s.base}/stalls/threshold`, { method: 'PUT', body: '{"thresholdMs": 100}' });
    }
    const since = await lastId(s.base);
    s.block(200); // over 100 ms again
    expect((await stallWhere(s.base, since, (x) => blamed(x, 'busyWait'))).durationMs).toBeGreaterThanOrEqual(
      190,
    );
  });

  it('/stats and /metrics count the stalls', async () => {
    // A busy machine can stall the server between two requests: compare a consistent read, one
    // in which the list did not change while /stats and /metrics were asked.
    for (let attempt = 0; ; attempt++) {
      const all = (await stallsSince(s.base, 0)).stalls;
      const stats = (await request(`${s.base}/stats`)).json<{
        stalls: { count: number; totalMs: number; maxMs: number };
      }>();
      const metrics = (await request(`${s.base}/metrics`)).text;
      const again = (await stallsSince(s.base, 0)).stalls;
      if (again.length !== all.length && attempt < 5) continue;
      expect(stats.stalls.count).toBe(all.length);
      expect(stats.stalls.maxMs).toBe(Math.max(...all.map((x) => x.durationMs)));
      expect(metrics).toContain(`loopscope_stalls_total ${all.length}`);
      expect(metrics).toContain(`loopscope_stall_duration_seconds_count ${all.length}`);
      break;
    }
  });

  it("load reports the generator process's own stalls in its summary", async () => {
    const load = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'main/cli/index.ts',
        'load',
        '--target',
        s.base,
        '--ws',
        '5',
        '--duration',
        '1',
        '--json',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    load.stdout!.on('data', (c) => (out += c));
    const [code] = await once(load, 'exit');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { report: { generator: { stalls?: Record<string, unknown> } } };
    expect(doc.report.generator.stalls).toMatchObject({
      count: expect.any(Number),
      maxMs: expect.any(Number),
    });
  });

  it('exits within 1 s of SIGTERM with the explorer running', async () => {
    const t0 = performance.now();
    s.proc.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
