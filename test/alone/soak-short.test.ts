/**
 * The soak (bench/soak.ts, issue 22 item 4) in 30 seconds instead of an hour: mixed load against
 * `serve --workers 2` with the dashboard open in Chromium, bcrypt on a worker's loop, server workers
 * SIGKILLed, the Redis server restarted, a generator process SIGKILLed. Nothing may be wrong, lost,
 * doubled or out of order on any transport, and the only failures allowed are requests that were
 * on their way to a worker when it was killed. Alone: it loads the machine on purpose.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../fixtures/load-wait';

interface SoakResult {
  faults: string[];
  integrity: Record<string, number>;
  failures: Record<string, number>;
  received: Record<string, number>;
}

it('30 s of load with every fault: nothing wrong, lost or doubled; only in-flight requests fail', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'loopscope-soak-')), 'soak.json');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/soak.ts',
      '--minutes',
      String(30 / 60),
      '--warmup-min',
      '0.1',
      '--bcrypt-every-s',
      '8',
      '--kill-every-s',
      '9',
      '--out',
      out,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-8000)));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code, log).toBe(0);
  const { result } = JSON.parse(readFileSync(out, 'utf8')) as { result: SoakResult };

  // Every fault happened: bcrypt at 8, 16, 24 s; workers killed at 9, 18, 27 s; Redis at 15 s;
  // a generator process at 22.5 s.
  const faults = result.faults.join('\n');
  expect(result.faults.filter((f) => /bcrypt cost 12 on the loop → HTTP 200/.test(f)).length, faults).toBe(3);
  expect(result.faults.filter((f) => f.includes('SIGKILL server worker')).length, faults).toBe(3);
  expect(faults).toContain('redis-server stopped and started again');
  expect(faults).toContain('SIGKILL generator process');

  expect(result.integrity).toEqual({ wrong: 0, missing: 0, duplicated: 0, outOfOrder: 0, expiredLost: 0 });
  for (const kind of ['ws-prime', 'ws-feed', 'sse', 'long-poll', 'http'])
    expect(result.received[kind], kind).toBeGreaterThan(0);
  // A request on its way to a killed worker, or a publish while Redis was away, may fail; a
  // follower or a WebSocket may not: they resume from their cursor or are replaced.
  for (const [what, n] of Object.entries(result.failures))
    expect(what, `${n} failures: ${JSON.stringify(result.failures)}`).toMatch(
      /^(http|publisher|job-producer): (ECONNRESET|server_closed|http_503)$/,
    );
}, 180_000);
