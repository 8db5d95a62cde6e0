import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { readFdLimit } from '../../main/load/fd-limit';
import { healthWarning } from '../../main/load/health';
import { SourceAddresses, isLoopbackHost, parseTarget } from '../../main/load/target';
import { parsePlan } from '../../main/cli/load-plan';
import { checkThresholds } from '../../main/cli/load-summary';
import { parseServeFlags } from '../../main/cli/serve';
import { CLIENT_KINDS, type LoadReport } from '../../common/load';
import { kindReport } from '../fixtures/kind-report';

describe('targets', () => {
  test('only loopback hosts pass without the opt-in', () => {
    for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', '[::1]', '::1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', '0.0.0.0'])
      expect(isLoopbackHost(h), h).toBe(false);
    expect(() => parseTarget('http://example.com')).toThrow(
      expect.objectContaining({ code: 'non_loopback_target' }),
    );
    expect(parseTarget('http://example.com', true).httpBase).toBe('http://example.com');
    expect(() => parseTarget('ftp://127.0.0.1')).toThrow(expect.objectContaining({ code: 'bad_target' }));
  });

  test('IPv4 loopback targets spread connections over 127.0.0.x source addresses', () => {
    const t = parseTarget('http://127.0.0.1:8888/');
    expect(t.wsBase).toBe('ws://127.0.0.1:8888');
    const s = new SourceAddresses(t);
    const seen = new Set(Array.from({ length: 32 }, () => s.take()));
    if (process.platform === 'linux') expect(seen.size).toBe(16);
    expect(new SourceAddresses(parseTarget('http://[::1]:9')).take()).toBeUndefined();
  });
});

test('the fd limit read from /proc is the shell’s `ulimit -n`', () => {
  const shell = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  expect(String(readFdLimit())).toBe(shell === 'unlimited' ? String(Number.MAX_SAFE_INTEGER) : shell);
});

test('the generator warns about itself only when saturated', () => {
  expect(healthWarning(5, 30)).toBeNull();
  expect(healthWarning(51, 30)).toMatch(/event-loop p99/);
  expect(healthWarning(5, 95)).toMatch(/CPU/);
});

describe('load CLI arguments', () => {
  test('flags become commands; defaults are bounded', () => {
    const plan = parsePlan([
      '--target',
      'http://127.0.0.1:8888',
      '--ws',
      '10',
      '--feed',
      '2',
      '--publish-rate',
      '5',
      '--ramp',
      '100',
      '--max-lost',
      '0',
    ]);
    if (plan === 'help') throw new Error('unexpected help');
    expect(plan.target).toBe('http://127.0.0.1:8888');
    expect(plan.durationS).toBe(10);
    expect(plan.commands).toEqual([
      { type: 'spawn', kind: 'ws-prime', count: 10, rampPerS: 100, options: { intervalMs: 1000 } },
      { type: 'spawn', kind: 'ws-feed', count: 2, rampPerS: 100 },
      { type: 'publishRate', perS: 5 },
    ]);
    // Failures, and clients never connected, fail the run unless allowed; the target has no default.
    expect(plan.thresholds).toEqual({ maxLost: 0, maxFailures: 0, maxPending: 0 });
    expect(parsePlan(['--target', 'http://127.0.0.1:1', '--max-failures', '3'])).toMatchObject({
      thresholds: { maxFailures: 3 },
    });
    expect(() => parsePlan(['--ws', '1'])).toThrow(/--target URL is required/);
    expect(() => parsePlan(['--duration', '3601'])).toThrow(/--duration/);
    // Any absolute path of the target (issue 13: load aimed at any server), nothing else.
    const t = ['--target', 'http://127.0.0.1:1', '--http', '1'];
    expect(() => parsePlan([...t, '--http-path', 'etc'])).toThrow(/--http-path/);
    expect(() => parsePlan([...t, '--http-path', '/a b'])).toThrow(/--http-path/);
    expect(parsePlan([...t, '--http-path', '/api/items?x=1'])).toMatchObject({
      commands: [{ type: 'spawn', kind: 'http', options: { path: '/api/items?x=1' } }],
    });
    expect(parsePlan(['--help'])).toBe('help');
  });

  test('asks the target why its clients waited only when the run assumes the protocol, or when told', () => {
    const t = ['--target', 'http://127.0.0.1:1'];
    const why = (...flags: string[]) => (parsePlan([...t, ...flags]) as { why: boolean }).why;
    // A server of the user's own sees only the requests asked for (issue 13).
    expect(why('--http', '1', '--http-path', '/api/items?page=2')).toBe(false);
    expect(why('--ws-echo', '1')).toBe(false);
    // The demo server's routes and kinds are the protocol's.
    expect(why('--http', '1', '--http-path', '/aggregate')).toBe(true);
    expect(why('--http', '1')).toBe(true);
    expect(why('--ws', '1')).toBe(true);
    expect(why('--ws-echo', '1', '--job-rate', '2')).toBe(true);
    // Said outright, either way.
    expect(why('--http', '1', '--http-path', '/api', '--why')).toBe(true);
    expect(why('--ws', '1', '--no-why')).toBe(false);
    expect(() => why('--why', '--no-why')).toThrow(/contradict/);
  });

  test('both CLIs refuse a bad number the same way: a usage error naming the flag, its range and the input', () => {
    const target = ['--target', 'http://127.0.0.1:1'];
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    };
    // A fraction where a count belongs: once a raw zod issue array from deep inside the generator.
    expect(refusal(() => parsePlan([...target, '--ws', '2.5']))).toMatchObject({
      code: 'usage',
      message: '--ws must be an integer from 0 to 100000, got "2.5"',
    });
    // A negative value: once node:util's "ambiguous argument" message.
    expect(refusal(() => parsePlan([...target, '--duration', '-1']))).toMatchObject({
      code: 'usage',
      message: '--duration must be an integer from 1 to 3600, got "-1"',
    });
    expect(refusal(() => parseServeFlags(['--port', '-1']))).toMatchObject({
      code: 'usage',
      message: '--port must be an integer from 0 to 65535, got "-1"',
    });
    expect(refusal(() => parseServeFlags(['--sample-ms', '2.5']))).toMatchObject({
      code: 'usage',
      message: '--sample-ms must be an integer from 250 to 60000, got "2.5"',
    });
    // Rates may be fractional.
    expect(parsePlan([...target, '--publish-rate', '0.5'])).toMatchObject({
      commands: [{ type: 'publishRate', perS: 0.5 }],
    });
  });

  test('thresholds compare totals across kinds', () => {
    const lat = { count: 1, p50Ms: 1, p99Ms: 7, maxMs: 9 };
    const kinds = Object.fromEntries(
      CLIENT_KINDS.map((k) => [
        k,
        kindReport(k, {
          failures: { ECONNREFUSED: 1 },
          rtt: lat,
          delivery: lat,
          integrity: { wrong: 1, missing: 1, duplicated: 0, outOfOrder: 1, expiredLost: 0 },
        }),
      ]),
    );
    const r = { kinds } as unknown as LoadReport;
    // One of each per kind: the totals grow with the number of kinds.
    const n = CLIENT_KINDS.length;
    const res = checkThresholds(r, { maxWrong: n, maxLost: 2 * n - 1, maxP99RttMs: 7, maxFailures: n - 1 });
    expect(res).toEqual([
      { name: '--max-wrong', limit: n, value: n, ok: true },
      { name: '--max-lost', limit: 2 * n - 1, value: 2 * n, ok: false },
      { name: '--max-p99-rtt-ms', limit: 7, value: 7, ok: true },
      { name: '--max-failures', limit: n - 1, value: n, ok: false },
    ]);
  });
});
