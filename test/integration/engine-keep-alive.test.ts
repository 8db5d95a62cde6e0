/**
 * Keep-alive without the race (issue 22 item 5): a client that reuses an idle connection just
 * after the time the server's `Keep-Alive` header promised (a timer's or a scheduler's lateness)
 * still gets its answer, and the server still closes what stays idle, a grace later.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_GRACE_MS } from '../../common/limits';
import { createEngine, type Engine } from '../../main/engine/engine';

const ADVERTISED_MS = 2_000;
let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ port: 0, keepAliveTimeoutMs: ADVERTISED_MS, sampler: false, stalls: false });
});

afterAll(() => engine?.close());

/** Sends one GET on `socket` and resolves with the whole response head and body as text. */
function get(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
      if (end >= 0 && text.length >= end + 4 + length) done(null);
    };
    const onEnd = () => done(new Error(`the server closed the connection; got ${JSON.stringify(text)}`));
    const done = (err: Error | null) => {
      socket.off('data', onData).off('end', onEnd).off('error', done);
      if (err) reject(err);
      else resolve(text);
    };
    socket.on('data', onData).on('end', onEnd).on('error', done);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

describe('keep-alive', () => {
  it('answers a reuse just after the advertised timeout, and closes an idle connection a grace later', async () => {
    const socket = connect(engine.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const first = await get(socket);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    // One header, saying what the server is asked to keep, not the grace it adds.
    expect(first.match(/^keep-alive: .*$/gim)?.map((h) => h.toLowerCase())).toEqual([
      `keep-alive: timeout=${ADVERTISED_MS / 1000}`,
    ]);

    await new Promise((resolve) => setTimeout(resolve, ADVERTISED_MS + 300));
    const second = await get(socket);
    expect(second).toMatch(/^HTTP\/1\.1 200/);

    const closedAfter = await new Promise<number>((resolve) => {
      const from = performance.now();
      socket.once('close', () => resolve(performance.now() - from));
    });
    expect(closedAfter).toBeGreaterThanOrEqual(ADVERTISED_MS + KEEP_ALIVE_GRACE_MS - 100);
    expect(closedAfter).toBeLessThan(ADVERTISED_MS + KEEP_ALIVE_GRACE_MS + 5_000);
  });
});
