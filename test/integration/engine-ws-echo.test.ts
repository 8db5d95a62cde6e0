/**
 * /ws/echo, a Loopscope extension of the demo server (docs/protocol.md §4b, not docs/protocol.md): every
 * frame back as sent, text and binary, in order; its sockets count as open and busy; the `load`
 * CLI's WebSocket echo kind aimed at it gets every answer right, with no failure.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import type { LoadReport } from '../../common/load';
import { runLoadCli } from '../fixtures/load-wait';
import { openWs, request, stats, until, wsUrl } from './engine-client';

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ port: 0, stalls: false });
});
afterAll(() => engine.close());

describe('/ws/echo (Loopscope extension)', () => {
  it('sends every frame back as it came, text as text and binary as binary, in order', async () => {
    const { ws, messages } = await openWs(wsUrl(engine.url, '/ws/echo'));
    const binary: Buffer[] = [];
    ws.on('message', (data, isBinary) => {
      if (isBinary) binary.push(data as Buffer);
    });
    for (let i = 0; i < 50; i++) ws.send(`echo ${i}`);
    ws.send(Buffer.from([0, 1, 2, 255]));
    await until(() => messages.length === 51, 'the 51 echoes');
    expect(messages.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `echo ${i}`));
    expect(binary).toEqual([Buffer.from([0, 1, 2, 255])]);
    // Open and busy: an echo socket is not an idle keep-alive one.
    const s = await stats(engine.url);
    expect(s.sockets!.open).toBeGreaterThanOrEqual(2); // this one and the /stats request
    expect(s.sockets!.idle).toBe(0);
    ws.close();
    await once(ws, 'close');
  });

  it('a plain request to it is told to upgrade (426)', async () => {
    const reply = await request(`${engine.url}/ws/echo`);
    expect(reply.status).toBe(426);
    expect(reply.json<{ error: string }>().error).toBe('upgrade_required');
  });

  it("the load generator's WebSocket echo kind aimed at it: every answer right, no failure", async () => {
    const res = await runLoadCli([
      '--target',
      engine.url,
      '--ws-echo',
      '5',
      '--ws-echo-path',
      '/ws/echo',
      '--ws-echo-interval',
      '50',
      '--duration',
      '1',
      '--json',
    ]);
    const echo = (JSON.parse(res.stdout) as { report: LoadReport }).report.kinds['ws-echo'];
    expect(echo.failures).toEqual({});
    expect(echo.received).toBeGreaterThan(10);
    expect(echo.integrity.wrong).toBe(0);
  }, 60_000);
});
