/**
 * The aggregate rate senders (publishRate, jobRate) open a lane (a connection of their own) when
 * the ones they have are busy, as during a stall of the server. Once the stall is over those extra
 * lanes sit idle, and the server closes them when its keep-alive timeout runs out — again and again
 * if they were reopened. That is the server's housekeeping, not a failed request: the run must
 * count no failure for it (a 60 s run with two bcrypt stalls counted 2–4 `server_closed`).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startLoadGenerator, type LoadController } from '../../main/load/controller';
import { waitForReport } from '../fixtures/load-wait';

let engine: Engine;
let lg: LoadController | null = null;

beforeAll(async () => {
  // A short keep-alive, so idle lanes are closed within the test's few seconds.
  engine = await createEngine({
    port: 0,
    keepAliveTimeoutMs: 200,
    // A reopened lane that has sent nothing is closed at the headers timeout instead.
    headersTimeoutMs: 400,
    requestTimeoutMs: 400,
    timeoutCheckMs: 100,
  });
});

afterAll(async () => {
  await lg?.close();
  await engine?.close();
});

/** Holds this process's loop, and with it the in-process server's. */
function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('lanes left idle after a stall and closed by the server are no failures', async () => {
  lg = await startLoadGenerator({ target: engine.url, reportIntervalMs: 100 });
  await lg.command({ type: 'publishRate', perS: 50 });
  await waitForReport(lg, (r) => r.kinds.publisher.received > 20);
  // Publishes fall due while the server cannot answer: the sender opens more lanes for them.
  stall(400);
  await waitForReport(lg, (r) => r.kinds.publisher.received > 60);
  // Then the extra lanes idle through several keep-alive timeouts (200 ms plus the server's grace).
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const r = await waitForReport(lg, () => true);
  expect(r.kinds.publisher.received).toBeGreaterThan(200);
  expect(r.kinds.publisher.failures).toEqual({});
}, 30_000);
