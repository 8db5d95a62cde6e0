/**
 * Restarting the demo server keeps the simulated clients (issue 21, item 2): the app host with a
 * real engine, a real load generator process and (for Workers 2) real server processes and a
 * redis-server. After "Restart on port", Workers 2 and back to 1, every client spawned before is
 * connected to the new server (on its new port), none of them counts as failed, the publish rate
 * carries on, and the notice says what happened to them. "Kill a worker" drops the killed process's
 * WS prime clients: they connect again, as the feed followers do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../common/api';
import type { ClientKind, LoadReport } from '../../common/load';
import { createAppHost, type AppHost } from '../../main/control/app-host';
import { waitForValue } from '../fixtures/load-wait';

let host: AppHost;
let report: LoadReport | null = null;
const notices: ApiEvents['notice'][] = [];
const SPAWNED: Partial<Record<ClientKind, number>> = { 'ws-prime': 40, 'ws-feed': 10, sse: 10, http: 4 };

async function ok<T>(name: string, payload: unknown): Promise<T> {
  const result = await host.handle(name, payload);
  if (!result.ok) throw new Error(`${name}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

/**
 * Failures of the spawned clients. A publish in flight on a killed process is lost for real and is
 * counted against the publish-rate sender (which carries on on new connections): not a client's.
 */
const failures = (r: LoadReport | null): number =>
  Object.keys(SPAWNED).reduce(
    (t, kind) => t + Object.values(r?.kinds[kind as ClientKind].failures ?? {}).reduce((a, b) => a + b, 0),
    0,
  );

/** Every spawned kind connected with as many as spawned, against `url`. */
async function clientsOn(url: string, what: string): Promise<LoadReport> {
  await waitForValue(
    async () => report,
    (r) =>
      r !== null &&
      r.target === url &&
      Object.entries(SPAWNED).every(([kind, n]) => r.kinds[kind as ClientKind].active === n),
    45_000,
  ).catch((err: unknown) => {
    throw new Error(`${what}: ${String(err)}; last ${JSON.stringify(report?.kinds)}`);
  });
  return report!;
}

/** The first notice with `code` from `index` on; no restart is ever blamed on the load generator. */
async function noticeAfter(index: number, code: string): Promise<string> {
  const found = await waitForValue(
    async () => notices.slice(index).find((n) => n.code === code) ?? null,
    (n) => n !== null,
    45_000,
  );
  const during = notices.slice(index, notices.indexOf(found!));
  expect(during.filter((x) => x.code.startsWith('generator')).map((x) => x.message)).toEqual([]);
  return found!.message;
}

const RECONNECTED = '40 WS prime, 10 WS feed, 10 SSE and 4 HTTP clients reconnected';

beforeAll(async () => {
  host = await createAppHost({
    shell: 'browser',
    engineOptions: { port: 0, stalls: false, sampleIntervalMs: 250 },
    reportForwardMs: 100,
  });
  host.on('loadReport', (r) => (report = r));
  host.on('notice', (n) => notices.push(n));
  for (const [kind, count] of Object.entries(SPAWNED))
    await ok('load', { type: 'spawn', kind, count, options: { intervalMs: 200 } });
  await ok('load', { type: 'publishRate', perS: 20 });
  await clientsOn(host.info().serverUrl, 'the first clients');
}, 60_000);

afterAll(async () => {
  await host?.close();
}, 60_000);

describe('a restart of the demo server keeps the simulated clients', () => {
  it('Restart on port: every client is connected to the new port, none failed, and the notice says so', async () => {
    const before = failures(report);
    const old = host.info().serverUrl;
    const n = notices.length;
    const info = await ok<{ serverUrl: string }>('setServerPort', { port: 0 });
    expect(info.serverUrl).not.toBe(old);
    const r = await clientsOn(info.serverUrl, 'the clients on the new port');
    expect(await noticeAfter(n, 'server_moved')).toBe(
      `demo server moved to ${info.serverUrl}; ${RECONNECTED}`,
    );
    expect(failures(r), JSON.stringify(r.kinds)).toBe(before);
    // The publish rate carried on: the followers get messages from the new server.
    const received = r.kinds['ws-feed'].received;
    await waitForValue(
      async () => report!.kinds['ws-feed'].received,
      (x) => x > received + 10,
      20_000,
    );
  }, 90_000);

  it('Workers 2 and back to 1: the clients carry on each time, and Kill a worker loses no WS prime client', async () => {
    const url = host.info().serverUrl;
    let n = notices.length;
    await ok('setServerWorkers', { count: 2 });
    expect(await noticeAfter(n, 'server_workers')).toBe(
      `demo server restarted as 2 processes on ${url}, sharing one redis-server; ${RECONNECTED}`,
    );
    const on2 = await clientsOn(url, 'the clients on 2 processes');
    const before = failures(on2);

    await ok('killServerWorker', {});
    // Half of the WS prime clients were on the killed process: they connect again.
    await waitForValue(
      async () => report,
      (r) => r!.kinds['ws-prime'].opened >= on2.kinds['ws-prime'].opened + 5,
      30_000,
    );
    const afterKill = await clientsOn(url, 'the clients after the kill');
    const prime = afterKill.kinds['ws-prime'];
    expect(prime.active).toBe(40);
    expect(failures(afterKill), JSON.stringify(afterKill.kinds)).toBe(before);

    n = notices.length;
    await ok('setServerWorkers', { count: 1 });
    expect(await noticeAfter(n, 'server_workers')).toBe(
      `demo server restarted as one process on ${url}; ${RECONNECTED}`,
    );
    const on1 = await clientsOn(url, 'the clients on one process');
    expect(failures(on1), JSON.stringify(on1.kinds)).toBe(before);
  }, 180_000);
});
