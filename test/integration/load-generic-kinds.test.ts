/**
 * The generic client kinds (issue 13: load aimed at any server, not only one that speaks our
 * protocol), through the real `load` CLI against servers of the test's own: `http` to any path
 * (2xx-only servers included), `ws-echo` against a WebSocket echo server — and against one that
 * echoes the wrong bytes, which must be counted wrong.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import type { LoadReport } from '../../common/load';
import { runLoadCli } from '../fixtures/load-wait';
import { closeNow, listenOnLoopback } from '../fixtures/loopback-server';

interface JsonDoc {
  ok: boolean;
  report: LoadReport;
}

let server: Server;
let base: string;
const seenPaths = new Set<string>();

beforeAll(async () => {
  server = createServer((req, res) => {
    seenPaths.add(req.url ?? '');
    // A server of the user's own: success need not be 200.
    res.statusCode = req.url?.startsWith('/created') ? 201 : req.url?.startsWith('/missing') ? 404 : 200;
    res.end('ok');
  });
  // /echo returns every message as it came; /liar changes every one.
  const echo = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const lie = req.url === '/liar';
    if (req.url !== '/echo' && !lie) return socket.destroy();
    echo.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(lie ? `${String(data)}!` : data, { binary: isBinary }));
    });
  });
  base = await listenOnLoopback(server);
});

afterAll(() => closeNow(server));

describe('generic client kinds', () => {
  test('http requests any absolute path of the target', async () => {
    const res = await runLoadCli([
      '--target',
      base,
      '--http',
      '5',
      '--http-path',
      '/api/items?page=2',
      '--http-interval',
      '50',
      '--duration',
      '2',
      '--json',
    ]);
    const doc = JSON.parse(res.stdout) as JsonDoc;
    expect(res.code).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.report.kinds.http.received).toBeGreaterThan(0);
    expect([...seenPaths]).toEqual(['/api/items?page=2']);
  });

  test('http counts every 2xx as right and anything else as a failure by status', async () => {
    const run = async (path: string) => {
      const res = await runLoadCli([
        '--target',
        base,
        '--http',
        '2',
        '--http-path',
        path,
        '--http-interval',
        '50',
        '--duration',
        '1',
        '--max-failures',
        '1000000',
        '--json',
      ]);
      return (JSON.parse(res.stdout) as JsonDoc).report.kinds.http;
    };
    const created = await run('/created');
    expect(created.received).toBeGreaterThan(0);
    expect(created.failures).toEqual({});
    const missing = await run('/missing');
    expect(missing.received).toBe(0);
    expect(missing.failures.http_404).toBeGreaterThan(0);
  });

  test('ws-echo: the same bytes back are right, with a round trip; other bytes are wrong', async () => {
    const echoRun = (clients: number, path: string) =>
      runLoadCli([
        '--target',
        base,
        '--ws-echo',
        String(clients),
        '--ws-echo-path',
        path,
        '--ws-echo-interval',
        '50',
        '--duration',
        '2',
        '--json',
        '--max-wrong',
        '0',
      ]);
    const good = await echoRun(10, '/echo');
    const doc = JSON.parse(good.stdout) as JsonDoc;
    expect(good.code).toBe(0);
    const echo = doc.report.kinds['ws-echo'];
    expect(echo.received).toBeGreaterThan(50);
    expect(echo.integrity.wrong).toBe(0);
    expect(echo.rtt.count).toBeGreaterThan(0);

    const liar = await echoRun(5, '/liar');
    const lied = JSON.parse(liar.stdout) as JsonDoc;
    expect(liar.code).toBe(1);
    expect(lied.report.kinds['ws-echo'].integrity.wrong).toBeGreaterThan(0);
  });
});
