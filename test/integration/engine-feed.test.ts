import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import { startRedisServer, type RedisServer } from '../../main/engine/cluster/redis-server';
import { closeCode, openSse, openWs, post, request, stats, until, wsUrl } from './engine-client';

let engine: Engine;
let base: string;
/** engine-feed-redis.test.ts runs this whole file again with the feed in a real Redis (§10). */
let redis: RedisServer | null = null;

beforeAll(async () => {
  if (process.env.LOOPSCOPE_TEST_STATE === 'redis') redis = await startRedisServer();
  engine = await createEngine({ port: 0, feedCapacity: 2_000, sseKeepAliveMs: 200, redis: redis?.url });
  base = engine.url;
});
afterAll(async () => {
  await engine.close();
  await redis?.stop();
});

interface PollReply {
  cursor: number;
  messages: { seq: number; data: string }[];
}

const lastSeq = async () => (await stats(base)).feed!.lastSeq!;
const publish = async (data: string) => (await post(`${base}/feed`, data)).json<{ seq: number }>().seq;

async function publishMany(n: number, prefix: string): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) => `${prefix}${i + j}`);
    // Publish each batch in order (one after another) so data i has a smaller seq than data i+1.
    for (const data of batch) seqs.push(await publish(data));
  }
  return seqs;
}

describe('§5 publish', () => {
  it('numbers messages in order', async () => {
    const first = await publish('hello');
    const second = await publish('world');
    expect(second).toBe(first + 1);
    expect((await stats(base)).feed!.lastSeq).toBe(second);
  });
});

describe('§5a long polling', () => {
  it('answers at once with what is newer than the cursor, oldest first', async () => {
    const start = await lastSeq();
    await publish('a');
    await publish('b\nc');
    const reply = (await request(`${base}/feed/poll?cursor=${start}`)).json<PollReply>();
    expect(reply).toEqual({
      cursor: start + 2,
      messages: [
        { seq: start + 1, data: 'a' },
        { seq: start + 2, data: 'b\nc' },
      ],
    });
  });

  it('holds, then wakes on publish; the held poll counts as longPoll, not http', async () => {
    const start = await lastSeq();
    const held = request(`${base}/feed/poll?timeout=30`);
    await until(async () => (await stats(base)).connections!.longPoll === 1, 'one held poll');
    expect((await stats(base)).connections!.http).toBe(1); // only /stats itself
    await publish('wake up');
    const reply = (await held).json<PollReply>();
    expect(reply).toEqual({ cursor: start + 1, messages: [{ seq: start + 1, data: 'wake up' }] });
    await until(async () => (await stats(base)).connections!.longPoll === 0, 'gauge back to 0');
  });

  it('times out with an empty reply and the same cursor', async () => {
    const start = await lastSeq();
    const t0 = Date.now();
    const reply = (await request(`${base}/feed/poll?cursor=${start}&timeout=1`)).json<PollReply>();
    const elapsed = Date.now() - t0;
    expect(reply).toEqual({ cursor: start, messages: [] });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_500);
  });

  it('forgets a client that disconnects while held', async () => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = connect(engine.port, '127.0.0.1');
      await once(s, 'connect');
      s.write(`GET /feed/poll?timeout=60 HTTP/1.1\r\nHost: x\r\n\r\n`);
      sockets.push(s);
    }
    await until(async () => (await stats(base)).connections!.longPoll === 20, '20 held polls');
    for (const s of sockets) s.destroy();
    await until(async () => (await stats(base)).connections!.longPoll === 0, 'gauge back to 0');
    // A publish afterwards must not trip over the dead requests.
    await publish('after disconnect');
    expect((await request(`${base}/`)).status).toBe(200);
  });

  it('replies with at most 1,000 messages', async () => {
    const start = await lastSeq();
    await publishMany(1_200, 'bulk');
    const first = (await request(`${base}/feed/poll?cursor=${start}`)).json<PollReply>();
    expect(first.messages).toHaveLength(1_000);
    expect(first.cursor).toBe(start + 1_000);
    const second = (await request(`${base}/feed/poll?cursor=${first.cursor}`)).json<PollReply>();
    expect(second.messages).toHaveLength(200);
    expect(second.cursor).toBe(start + 1_200);
  });

  it('410 cursor_expired with the oldest seq; 400 bad_cursor past the newest', async () => {
    // The engine here keeps 2,000 messages; make sure more than that exist.
    while ((await lastSeq()) < 2_100) await publishMany(100, 'fill');
    const s = (await stats(base)).feed!;
    expect(s.oldestSeq).toBe(s.lastSeq! - 1_999);
    const expired = await request(`${base}/feed/poll?cursor=1`);
    expect(expired.status).toBe(410);
    expect(expired.json()).toMatchObject({ error: 'cursor_expired', oldest: s.oldestSeq });
    const fromOldest = (await request(`${base}/feed/poll?cursor=0`)).json<PollReply>();
    expect(fromOldest.messages[0]!.seq).toBe(s.oldestSeq);
    const bad = await request(`${base}/feed/poll?cursor=${s.lastSeq! + 1}`);
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('bad_cursor');
  });

  it('a client that polls with the cursor it was given gets every message once, in order', async () => {
    let cursor = await lastSeq();
    const startCursor = cursor;
    const received: PollReply['messages'] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; i < 300; i++) {
        await publish(`m${i}`);
        // Some bursts, some gaps, so polls are both immediate and held.
        if (i % 40 === 0) await new Promise((r) => setTimeout(r, 20));
      }
      publishing = false;
    })();
    while (publishing || received.length < 300) {
      const reply = (await request(`${base}/feed/poll?cursor=${cursor}&timeout=2`)).json<PollReply>();
      received.push(...reply.messages);
      cursor = reply.cursor;
    }
    await publisher;
    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => startCursor + 1 + i));
    expect(received.map((m) => m.data)).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
  });
});

describe('§5b WebSocket push', () => {
  it('sends the backlog then live, in order, and ignores frames from the client', async () => {
    const start = await lastSeq();
    await publish('x1');
    await publish('x2');
    const { ws, messages } = await openWs(wsUrl(base, `/ws/feed?cursor=${start}`));
    await until(() => messages.length === 2, 'the backlog');
    ws.send('ignored');
    ws.send(Buffer.from([1, 2, 3]));
    await publish('x3');
    await until(() => messages.length === 3, 'the live message');
    expect(messages.map((m) => JSON.parse(m))).toEqual([
      { seq: start + 1, data: 'x1' },
      { seq: start + 2, data: 'x2' },
      { seq: start + 3, data: 'x3' },
    ]);
    expect((await stats(base)).connections!.wsFeed).toBe(1);
    ws.close();
    await until(async () => (await stats(base)).connections!.wsFeed === 0, 'wsFeed gauge 0');
  });

  it('without a cursor starts from now; bad cursors refuse the upgrade', async () => {
    const { ws, messages } = await openWs(wsUrl(base, '/ws/feed'));
    const seq = await publish('only this');
    await until(() => messages.length === 1, 'one message');
    expect(JSON.parse(messages[0]!)).toEqual({ seq, data: 'only this' });
    ws.close();
    for (const [query, status] of [
      ['?cursor=1', 410],
      [`?cursor=${seq + 5}`, 400],
      ['?cursor=abc', 400],
    ] as const) {
      const reply = await request(`${base}/ws/feed${query}`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      expect(reply.status, query).toBe(status);
    }
  });

  it('closes a client with more than 1 MiB unsent with 1013', async () => {
    // A raw client that completes the handshake, then stops reading.
    const socket = connect(engine.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET /ws/feed HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await once(socket, 'data');
    await until(async () => (await stats(base)).connections!.wsFeed === 1, 'the raw client subscribed');
    socket.pause();
    const big = 'z'.repeat(60_000);
    // Far more than the socket buffers plus 1 MiB: 300 × 60 kB = 18 MB.
    for (let i = 0; i < 300; i++) await publish(big);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.resume();
    const closeFrame = Buffer.from([0x88]);
    await until(() => {
      const all = Buffer.concat(chunks);
      const at = all.lastIndexOf(closeFrame);
      return at >= 0 && all.length >= at + 4 && all.readUInt16BE(at + 2) === 1013;
    }, 'a close frame with code 1013');
    socket.destroy();
    // It got far less than everything: the server stopped queueing for it.
    expect(Buffer.concat(chunks).length).toBeLessThan(300 * 60_000);
  });
});

describe('§5c server-sent events', () => {
  it('streams backlog then live as SSE, splits lines, sends keep-alives', async () => {
    const start = await lastSeq();
    await publish('one');
    await publish('two\nlines');
    const sse = openSse(`${base}/feed/events?cursor=${start}`);
    await sse.ready;
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    await until(() => sse.events.length === 2, 'the backlog');
    await publish('three\r\nmore');
    await until(() => sse.events.length === 3, 'the live event');
    expect(sse.events).toEqual([
      { id: String(start + 1), data: 'one' },
      { id: String(start + 2), data: 'two\nlines' },
      { id: String(start + 3), data: 'three\nmore' },
    ]);
    expect((await stats(base)).connections!.sse).toBe(1);
    await until(() => sse.comments.includes(': keep-alive'), 'a keep-alive comment');
    sse.close();
    await until(async () => (await stats(base)).connections!.sse === 0, 'sse gauge 0');
  });

  it('Last-Event-ID is the cursor and wins over the query', async () => {
    const start = await lastSeq();
    await publish('p');
    await publish('q');
    const sse = openSse(`${base}/feed/events?cursor=0`, { 'last-event-id': String(start + 1) });
    await until(() => sse.events.length >= 1, 'an event');
    expect(sse.events[0]).toEqual({ id: String(start + 2), data: 'q' });
    sse.close();
    const bad = await request(`${base}/feed/events`, { headers: { 'last-event-id': String(start + 99) } });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('bad_cursor');
  });

  it('ends a stream with more than 1 MiB unsent', async () => {
    const socket = connect(engine.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /feed/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    await once(socket, 'data');
    await until(async () => (await stats(base)).connections!.sse === 1, 'the raw SSE client');
    socket.pause();
    const big = 'y'.repeat(60_000);
    for (let i = 0; i < 300; i++) await publish(big);
    await until(async () => (await stats(base)).connections!.sse === 0, 'the slow stream ended');
    socket.destroy();
  });
});

describe('one feed, three ways', () => {
  it('poll, WebSocket and SSE all see every message once, in order', async () => {
    const start = await lastSeq();
    const { ws, messages } = await openWs(wsUrl(base, `/ws/feed?cursor=${start}`));
    const sse = openSse(`${base}/feed/events?cursor=${start}`);
    await sse.ready;
    const polled: number[] = [];
    let cursor = start;
    const seqs = await publishMany(500, 'all');
    while (polled.length < 500) {
      const reply = (await request(`${base}/feed/poll?cursor=${cursor}`)).json<PollReply>();
      polled.push(...reply.messages.map((m) => m.seq));
      cursor = reply.cursor;
    }
    await until(() => messages.length === 500 && sse.events.length === 500, 'ws and SSE to catch up');
    expect(messages.map((m) => JSON.parse(m).seq)).toEqual(seqs);
    expect(sse.events.map((e) => Number(e.id))).toEqual(seqs);
    expect(polled).toEqual(seqs);
    ws.close();
    sse.close();
    await closeCode(ws);
  });
});
