import { connect } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import { isPrime } from '../../main/engine/prime';
import { closeCode, openWs, request, stats, until, wsUrl } from './engine-client';

let engine: Engine;
let base: string;

beforeAll(async () => {
  engine = await createEngine({ port: 0, heartbeatMs: 300 });
  base = engine.url;
});
afterAll(() => engine.close());

const primeUrl = () => wsUrl(base, '/ws/prime');

describe('§4 /ws/prime', () => {
  it('answers each frame exactly, canonically and in order', async () => {
    const { ws, messages } = await openWs(primeUrl());
    const inputs = [
      '7',
      '+007',
      ' -13 ',
      '-0',
      '0',
      '1',
      '2',
      '561',
      '2305843009213693951',
      '318665857834031151167461',
      '999999999999999999999743',
    ];
    for (let i = 0; i < 300; i++) inputs.push(String(1_000_003 + i * 2));
    for (const n of inputs) ws.send(n);
    await until(() => messages.length === inputs.length, 'every answer');
    const answers = messages.map((m) => JSON.parse(m) as { n: string; prime: boolean });
    expect(answers.slice(0, 11)).toEqual([
      { n: '7', prime: true },
      { n: '7', prime: true },
      { n: '-13', prime: false },
      { n: '0', prime: false },
      { n: '0', prime: false },
      { n: '1', prime: false },
      { n: '2', prime: true },
      { n: '561', prime: false },
      { n: '2305843009213693951', prime: true },
      { n: '318665857834031151167461', prime: false },
      { n: '999999999999999999999743', prime: true },
    ]);
    // Order: the i-th answer is about the i-th number sent.
    answers.slice(11).forEach((a, i) => {
      expect(a.n).toBe(String(1_000_003 + i * 2));
      expect(a.prime).toBe(isPrime(BigInt(a.n)));
    });
    expect((await stats(base)).connections!.wsPrime).toBe(1);
    ws.close();
    await until(async () => (await stats(base)).connections!.wsPrime === 0, 'wsPrime gauge 0');
  });

  it('bad_integer for anything else, and the connection stays open', async () => {
    const { ws, messages } = await openWs(primeUrl());
    const bad = ['', 'abc', '1.5', '12 34', '1'.repeat(25), '+', '0x1F'];
    for (const b of bad) ws.send(b);
    ws.send('11');
    await until(() => messages.length === bad.length + 1, 'every reply');
    for (const m of messages.slice(0, bad.length)) {
      const body = JSON.parse(m) as { error: string; message: string };
      expect(body.error).toBe('bad_integer');
      expect(body.message.length).toBeGreaterThan(0);
    }
    expect(JSON.parse(messages.at(-1)!)).toEqual({ n: '11', prime: true });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('a binary frame closes with 1003', async () => {
    const { ws } = await openWs(primeUrl());
    const code = closeCode(ws);
    ws.send(Buffer.from('7'));
    expect(await code).toBe(1003);
  });

  it('a frame over 1 KiB closes with 1009; exactly 1 KiB is fine', async () => {
    const { ws, messages } = await openWs(primeUrl());
    ws.send(' '.repeat(1022) + '13');
    await until(() => messages.length === 1, 'the 1 KiB answer');
    expect(JSON.parse(messages[0]!)).toEqual({ n: '13', prime: true });
    const code = closeCode(ws);
    ws.send(' '.repeat(1025));
    expect(await code).toBe(1009);
  });

  it('a text frame that is not UTF-8 closes with 1007', async () => {
    const { ws } = await openWs(primeUrl());
    const code = closeCode(ws);
    ws.send(Buffer.from([0x37, 0xff, 0xfe]), { binary: false });
    expect(await code).toBe(1007);
  });

  it('unknown WebSocket paths get 404', async () => {
    const ws = new WebSocket(wsUrl(base, '/ws/nothing'));
    const [req, res] = (await once(ws, 'unexpected-response')) as [
      { destroy(): void },
      { statusCode: number },
    ];
    expect(res.statusCode).toBe(404);
    ws.on('error', () => {});
    req.destroy();
  });

  it('terminates a peer that does not answer pings; keeps one that does', async () => {
    const { ws: good } = await openWs(primeUrl());
    const { ws: silent } = await openWs(primeUrl(), { autoPong: false });
    let pings = 0;
    silent.on('ping', () => pings++);
    const silentClosed = closeCode(silent);
    const code = await silentClosed;
    // Terminated, not closed politely: no close frame, so the client sees 1006.
    expect(code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(good.readyState).toBe(WebSocket.OPEN);
    good.send('5');
    await once(good, 'message');
    good.close();
  });

  it('spreads one round of pings over the period instead of pinging every socket in one tick', async () => {
    const clients = await Promise.all(Array.from({ length: 60 }, () => openWs(primeUrl())));
    const firstPing = await Promise.all(
      clients.map(({ ws }) => once(ws, 'ping').then(() => performance.now())),
    );
    // 60 sockets over a 300 ms period in 30 slices: at most 2 per tick, so the round takes most of
    // the period. In one tick (the stall this avoids) they would all arrive within a few ms.
    expect(Math.max(...firstPing) - Math.min(...firstPing)).toBeGreaterThan(120);
    for (const { ws } of clients) ws.close();
  });

  it('pauses a client that sends faster than it reads instead of buffering without bound', async () => {
    // Its own engine: this raw client never answers pings, and 300 ms pings would end it early.
    const quiet = await createEngine({ port: 0, sampler: false });
    const base = quiet.url;
    // Raw client: handshake, then a flood of masked text frames while never reading answers.
    const socket = connect(quiet.port, '127.0.0.1');
    // The server may reset this socket while our flood is still being written.
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(
      'GET /ws/prime HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await once(socket, 'data');
    socket.pause();
    // A bad_integer answer is ~100 bytes for a 7-byte frame: the answers outgrow any socket buffer.
    const payload = Buffer.from('x');
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    const total = 200_000;
    socket.write(Buffer.concat(Array.from({ length: total }, () => frame)));
    const framesIn = async () =>
      Number(/^loopscope_ws_messages_in_total (\d+)$/m.exec((await request(`${base}/metrics`)).text)![1]);
    // Wait until the server has stopped reading: the count holds still over several polls.
    let last = -1;
    let steady = 0;
    await until(async () => {
      const n = await framesIn();
      steady = n === last && n > 0 ? steady + 1 : 0;
      last = n;
      return steady >= 5;
    }, 'the server to stop reading');
    // Without pausing it would have read and answered all of them.
    expect(last).toBeLessThan(total);
    // Reading the answers lets it carry on.
    socket.on('data', () => {});
    socket.resume();
    await until(async () => (await framesIn()) > last, 'the server to resume reading');
    socket.destroy();
    await until(async () => (await stats(base)).connections!.wsPrime === 0, 'gauge back to 0');
    await quiet.close();
  });
});
