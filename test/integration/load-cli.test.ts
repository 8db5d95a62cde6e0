/**
 * `loopscope load` as a real child process: JSON output, thresholds → exit codes, usage errors,
 * and the file-descriptor limit (run under a low `ulimit -n`, which is what production reads).
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadReport } from '../../common/load';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startFaultyServer, type FaultyServer } from '../fixtures/faulty-server';
import { childPids, runLoadCli, startLoadCli, waitForValue } from '../fixtures/load-wait';

let engine: Engine;
let faulty: FaultyServer;

beforeAll(async () => {
  engine = await createEngine({ port: 0 });
  faulty = await startFaultyServer({ skipEvery: 2 });
});

afterAll(async () => {
  await engine?.close();
  await faulty?.close();
});

interface JsonDoc {
  ok: boolean;
  report: LoadReport;
  thresholds: Array<{ name: string; limit: number; value: number; ok: boolean }>;
}

describe('load CLI', () => {
  test('a clean run passes its thresholds: exit 0 and one JSON document', async () => {
    const res = await runLoadCli([
      '--target',
      engine.url,
      '--ws',
      '20',
      '--ws-interval',
      '100',
      '--feed',
      '10',
      '--sse',
      '10',
      '--long-poll',
      '10',
      '--publish-rate',
      '20',
      '--duration',
      '2',
      '--json',
      '--max-wrong',
      '0',
      '--max-lost',
      '0',
    ]);
    expect(res.stderr).not.toMatch(/load:|error/i);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as JsonDoc;
    expect(doc.ok).toBe(true);
    expect(doc.report.kinds['ws-prime'].active).toBe(20);
    expect(doc.report.kinds['ws-feed'].received).toBeGreaterThan(0);
    expect(doc.thresholds.map((t) => t.name)).toEqual([
      '--max-wrong',
      '--max-lost',
      '--max-failures',
      '--max-pending',
    ]);
  });

  test('a breached threshold exits 1 and names the threshold; the table is printed', async () => {
    const res = await runLoadCli([
      '--target',
      engine.url,
      '--ws',
      '5',
      '--ws-interval',
      '50',
      // Two seconds: rtt counts only sends due after connecting, which a busy machine can stretch.
      '--duration',
      '2',
      '--max-p99-rtt-ms',
      '0',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('threshold breached: --max-p99-rtt-ms 0');
    expect(res.stdout).toMatch(/^kind\s+active/m);
    expect(res.stdout).toMatch(/^ws-prime\s+5\s/m);
  });

  test('lost feed messages breach --max-lost', async () => {
    const res = await runLoadCli([
      '--target',
      faulty.url,
      '--feed',
      '3',
      '--publish-rate',
      '20',
      '--duration',
      '1',
      '--max-lost',
      '0',
      '--json',
    ]);
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as JsonDoc;
    expect(doc.report.kinds['ws-feed'].integrity.missing).toBeGreaterThan(0);
    expect(res.stderr).toContain('--max-lost');
  });

  test('a generator killed mid-run fails the run at once: exit 2, one line, ok:false in JSON', async () => {
    const cli = startLoadCli(['--target', engine.url, '--ws', '20', '--duration', '8', '--json']);
    try {
      // Kill only once the clients are up, so the run is truly mid-way.
      await waitForValue(
        async () =>
          (await (await fetch(`${engine.url}/stats`)).json()) as { connections: { wsPrime: number } },
        (s) => s.connections.wsPrime === 20,
        20_000,
      );
      const [generator] = childPids(cli.pid);
      expect(generator).toBeDefined();
      const killedAt = performance.now();
      process.kill(generator!, 'SIGKILL');
      const res = await cli.result;
      const exitMs = performance.now() - killedAt;
      expect(res.code).toBe(2);
      expect(exitMs).toBeLessThan(2_000);
      expect(res.stderr.trim()).toBe(
        `load: the load generator process (pid ${generator}) was killed by SIGKILL mid-run; results are incomplete [generator_exited]`,
      );
      const doc = JSON.parse(res.stdout) as Omit<JsonDoc, 'report'> & {
        report: LoadReport | null;
        reason: { code: string; message: string };
      };
      expect(doc.ok).toBe(false);
      expect(doc.reason.code).toBe('generator_exited');
      // No report yet (killed within the first interval) or one that no longer counts the dead clients.
      expect(doc.report?.kinds['ws-prime'].active ?? 0).toBe(0);
      console.log(`load exited ${exitMs.toFixed(0)} ms after its generator was killed`);
    } finally {
      cli.stop();
    }
  });

  test('a run in which every client failed fails, unless --max-failures allows it', async () => {
    const refused = ['--target', 'http://127.0.0.1:1', '--ws', '10', '--duration', '1', '--json'];
    const [strict, allowed] = await Promise.all([
      runLoadCli(refused),
      runLoadCli([...refused, '--max-failures', '10']),
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('threshold breached: --max-failures 0, measured 10');
    const doc = JSON.parse(strict.stdout) as JsonDoc;
    expect(doc.ok).toBe(false);
    expect(doc.report.kinds['ws-prime'].failures).toEqual({ ECONNREFUSED: 10 });
    expect(allowed.code).toBe(0);
    expect((JSON.parse(allowed.stdout) as JsonDoc).ok).toBe(true);
  });

  test('clients still pending at the end fail the run and are explained, unless --max-pending allows them', async () => {
    // 400 clients at 50/s need 8 s; the run lasts 2 s, so about 300 are still queued by the ramp.
    const slowRamp = ['--target', engine.url, '--ws', '400', '--ramp', '50', '--duration', '2', '--json'];
    const [strict, allowed] = await Promise.all([
      runLoadCli(slowRamp),
      runLoadCli([...slowRamp, '--max-pending', '400']),
    ]);
    expect(strict.code, strict.stderr).toBe(1);
    const doc = JSON.parse(strict.stdout) as JsonDoc & { neverConnected?: string };
    const pending = doc.report.kinds['ws-prime'].pending;
    expect(pending).toBeGreaterThan(100);
    expect(doc.report.kinds['ws-prime'].active + pending).toBe(400);
    expect(doc.ok).toBe(false);
    expect(doc.thresholds).toContainEqual({ name: '--max-pending', limit: 0, value: pending, ok: false });
    expect(doc.neverConnected).toMatch(
      /the ramp had not finished: 400 at 50\/s takes 8 s, the run lasted 2 s/,
    );
    expect(strict.stderr).toContain(`never connected: ${pending} client(s): ws-prime ${pending}`);
    expect(strict.stderr).toContain(`threshold breached: --max-pending 0, measured ${pending}`);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((JSON.parse(allowed.stdout) as JsonDoc).ok).toBe(true);
  });

  test('usage errors exit 2', async () => {
    const [nonLoopback, badFlag, badDuration, noTarget, badWarmup] = await Promise.all([
      runLoadCli(['--target', 'http://192.0.2.7:8888', '--ws', '1']),
      runLoadCli(['--bogus']),
      runLoadCli(['--target', engine.url, '--duration', '0']),
      runLoadCli(['--ws', '1']),
      runLoadCli(['--target', engine.url, '--warmup', '-1']),
    ]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr.split('\n')[0]).toBe(
      'load: --target URL is required, e.g. --target http://127.0.0.1:8888 for `npm run serve`',
    );
    expect(noTarget.stderr).toContain('Usage: npm run load');
    expect(nonLoopback.code).toBe(2);
    expect(nonLoopback.stderr).toContain('non_loopback_target');
    expect(badFlag.code).toBe(2);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--duration');
    expect(badWarmup.code).toBe(2);
    expect(badWarmup.stderr).toContain('--warmup');
  });

  test('more clients than --processes can hold under the fd limit: refused before starting, naming the fix', async () => {
    // A bare TCP listener as the target: it counts every connection made to it.
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const res = await runLoadCli(
      ['--target', url, '--ws', '1000', '--processes', '1', '--duration', '1'],
      256,
    );
    await new Promise((resolve) => listener.close(resolve));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('beyond_box_limits');
    expect(res.stderr).toContain('ulimit -n 256');
    // 1,000 sockets at 144 a process (256 less the reserve and the process's own): 7 processes.
    expect(res.stderr).toContain('--processes 7 or auto');
    expect(res.stderr).toContain('nothing was started');
    expect(connections).toBe(0);
  });

  test('--processes auto past its 8 processes, or more connections than one source address has ports: refused', async () => {
    const tooMany = await runLoadCli(['--target', engine.url, '--ws', '2000', '--duration', '1'], 256);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/2,000 connections need 14 generator processes .* at most 8/);
    const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ports = Number(range[1]) - Number(range[0]) + 1;
    // ::1 is reached from one source address: no more connections than its ephemeral ports.
    const v6 = `http://[::1]:${new URL(engine.url).port}`;
    const res = await runLoadCli(['--target', v6, '--ws', String(ports + 1), '--duration', '1']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`from one source address there are ${ports.toLocaleString('en-US')}`);
    expect(res.stderr).toContain('Aim at a 127.x address');
  });

  test('--processes auto adds generator processes when one fd limit is not enough', async () => {
    const res = await runLoadCli(
      [
        '--target',
        engine.url,
        '--ws',
        '500',
        '--ws-interval',
        '0',
        '--processes',
        'auto',
        '--duration',
        '3',
        '--json',
      ],
      400,
    );
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as JsonDoc;
    expect(doc.report.generator.processes).toBe(2);
    // Chosen before the run and said: 500 sockets at 288 a process under ulimit -n 400.
    expect(res.stderr).toMatch(
      /500 connections: 2 generator processes \(up to 288 sockets each, ulimit -n 400\)/,
    );
    // Every client is there, connected or (on a busy machine) still connecting, and none failed.
    const ws = doc.report.kinds['ws-prime'];
    expect(ws.active + ws.pending).toBe(500);
    expect(ws.failures).toEqual({});
    expect(ws.active).toBeGreaterThan(0);
  });

  test("--processes 2: the final percentiles are merged from both processes' histograms, exactly", async () => {
    const res = await runLoadCli([
      '--target',
      engine.url,
      '--http',
      '20',
      '--http-interval',
      '0',
      '--processes',
      '2',
      '--duration',
      '2',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain('buckets');
    const doc = JSON.parse(res.stdout) as JsonDoc;
    expect(doc.report.generator.processes).toBe(2);
    expect(doc.report.generator.latencyMerge).toBe('exact');
    const rtt = doc.report.kinds.http.cumulative!.rtt;
    expect(rtt.count).toBeGreaterThan(100);
    expect(rtt.p50Ms).toBeLessThanOrEqual(rtt.p99Ms);
    expect(rtt.p99Ms).toBeLessThanOrEqual(rtt.maxMs);
  });

  test('a target without GET /diagnosis gets no why line, and the run is judged as before', async () => {
    const res = await runLoadCli([
      '--target',
      faulty.url,
      '--http',
      '2',
      '--duration',
      '1',
      '--max-failures',
      '1000000',
    ]);
    expect(res.stdout).not.toContain('why clients waited');
  });
});
