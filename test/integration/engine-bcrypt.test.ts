import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSnapshot } from '../../common/snapshot';
import { createEngine, type Engine } from '../../main/engine/engine';
import { post, until } from './engine-client';

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ port: 0, sampleIntervalMs: 250, bcryptThreads: 1 });
  // One pool thread: on two cores the loop keeps a core to itself, as a real deployment would.
  // Start the pool's threads before measuring anything.
  await engine.bcrypt.hash('warm-up', 4, 'pool');
});
afterAll(() => engine.close());

/** Runs `work`, then returns every snapshot from its start until one full window after it ended. */
async function windowsDuring(work: () => Promise<unknown>): Promise<EngineSnapshot[]> {
  const snaps: EngineSnapshot[] = [];
  const off = engine.metrics.subscribe((s) => snaps.push(s));
  // Begin on a window boundary so the first window is not a leftover from before.
  await until(() => snaps.length >= 1, 'a first window', 2_000);
  snaps.length = 0;
  await work();
  const seen = snaps.length;
  await until(() => snaps.length >= seen + 2, 'two more windows', 2_000);
  off();
  return snaps;
}

const maxDelay = (snaps: EngineSnapshot[]) => Math.max(...snaps.map((s) => s.eventLoop.maxMs));

describe('§7 bcrypt: loop blocks, pool does not', () => {
  it('mode=loop stalls the event loop and is recorded in the window', async () => {
    let replyMs = 0;
    const snaps = await windowsDuring(async () => {
      const reply = await post(`${engine.url}/bcrypt?cost=12&mode=loop`, 'correct horse');
      expect(reply.status).toBe(200);
      const body = reply.json<{ hash: string; mode: string; ms: number }>();
      expect(body.hash).toMatch(/^\$2[aby]\$12\$/);
      expect(body.mode).toBe('loop');
      replyMs = body.ms;
    });
    expect(replyMs).toBeGreaterThanOrEqual(50);
    expect(maxDelay(snaps)).toBeGreaterThanOrEqual(50);
    const runs = snaps.reduce((n, s) => n + s.bcrypt.loopRuns, 0);
    const ms = snaps.reduce((n, s) => n + s.bcrypt.loopMs, 0);
    expect(runs).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(50);
  });

  it('mode=pool keeps the loop free', async () => {
    const loopSnaps = await windowsDuring(() => engine.bcrypt.hash('x', 13, 'loop'));
    const loopMax = maxDelay(loopSnaps);
    const poolSnaps = await windowsDuring(async () => {
      const replies = await Promise.all([
        post(`${engine.url}/bcrypt?cost=12&mode=pool`, 'one'),
        post(`${engine.url}/bcrypt?cost=12&mode=pool`, 'two'),
      ]);
      for (const reply of replies) {
        expect(reply.status).toBe(200);
        expect(reply.json()).toMatchObject({ mode: 'pool' });
      }
    });
    const poolMax = maxDelay(poolSnaps);
    expect(poolSnaps.reduce((n, s) => n + s.bcrypt.poolRuns, 0)).toBe(2);
    expect(poolSnaps.reduce((n, s) => n + s.bcrypt.loopRuns, 0)).toBe(0);
    expect(loopMax).toBeGreaterThanOrEqual(50);
    // Generous: the pool thread competes for the CPU (and so may delay the loop a little), but never holds it.
    expect(poolMax).toBeLessThan(loopMax / 2);
  });

  it('a hash verifies with bcrypt', async () => {
    const { default: bcrypt } = await import('bcrypt');
    const { hash } = await engine.bcrypt.hash('s3cret', 4, 'pool');
    expect(await bcrypt.compare('s3cret', hash)).toBe(true);
    expect(await bcrypt.compare('other', hash)).toBe(false);
  });
});
