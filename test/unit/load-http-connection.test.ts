/**
 * The generator's minimal reply parser over a real socket: replies cut at every byte, chunked
 * bodies, pipelined replies in one packet, Connection: close, and a reply that is not HTTP.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { HttpConnection, requestHead } from '../../main/load/http-connection';
import { until } from '../fixtures/poll';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** A server that answers the first request with `reply`, written as the given pieces. */
async function serve(pieces: string[]): Promise<number> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      // Each piece its own write and, with setNoDelay, usually its own segment.
      socket.setNoDelay(true);
      let i = 0;
      const next = (): void => {
        if (i < pieces.length) socket.write(pieces[i++]!, next);
      };
      next();
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

interface Seen {
  replies: Array<{ status: number; body: string }>;
  ended: Promise<string | null>;
  conn: HttpConnection;
}

function connect(port: number, requests: number, maxBodyBytes = 1 << 20): Promise<Seen> {
  return new Promise((resolve) => {
    const replies: Seen['replies'] = [];
    let endedWith: (c: string | null) => void = () => undefined;
    const ended = new Promise<string | null>((r) => (endedWith = r));
    const conn: HttpConnection = new HttpConnection(
      { host: '127.0.0.1', port, localAddress: undefined, keepBody: true, maxBodyBytes },
      {
        connected: () => {
          for (let i = 0; i < requests; i++) conn.send(requestHead('GET', '/', `127.0.0.1:${port}`));
          resolve({ replies, ended, conn });
        },
        reply: (status, body) => replies.push({ status, body: body?.toString() ?? '' }),
        ended: (cause) => endedWith(cause),
      },
    );
  });
}

test('a content-length reply cut at every byte, then a chunked one, pipelined', async () => {
  const first = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Other: 1\r\n\r\nhello';
  const second =
    'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n';
  const port = await serve([...first.split(''), second]);
  const seen = await connect(port, 2);
  await until(() => seen.replies.length === 2, 'both replies');
  expect(seen.replies).toEqual([
    { status: 200, body: 'hello' },
    { status: 404, body: 'abcde' },
  ]);
  expect(seen.conn.outstanding).toBe(0);
  seen.conn.destroy();
  expect(await seen.ended).toBeNull();
});

test('three replies in one packet, the last with Connection: close, end the connection cleanly', async () => {
  const r = (body: string, extra = ''): string =>
    `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`;
  const port = await serve([r('a') + r('') + r('ccc', 'Connection: close\r\n')]);
  const seen = await connect(port, 3);
  expect(await seen.ended).toBe('server_closed');
  expect(seen.replies.map((x) => x.body)).toEqual(['a', '', 'ccc']);
});

test('a reply that is not HTTP, or too large, ends the connection with its cause', async () => {
  const port = await serve(['SSH-2.0-OpenSSH\r\n\r\n']);
  expect(await (await connect(port, 1)).ended).toBe('bad_reply');
  const big = await serve(['HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n', 'x'.repeat(100)]);
  expect(await (await connect(big, 1, 10)).ended).toBe('body_too_large');
});

test('connections share one read buffer: a body split across reads is not overwritten by another connection', async () => {
  // Two connections; each gets the first half of its body, then (once both have) the second half.
  // Kept as views into the shared buffer, A's first half would read as B's bytes.
  const halves: Array<(rest: string) => void> = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      const me = halves.length === 0 ? 'a' : 'b';
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\n${me.repeat(3)}`);
      halves.push((rest) => socket.write(rest));
      if (halves.length === 2) {
        // The first halves are read before the second halves are written.
        setTimeout(() => {
          halves[0]!('AAA');
          setTimeout(() => halves[1]!('BBB'), 20);
        }, 50);
      }
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const a = await connect(port, 1);
  await until(() => halves.length === 1, 'the first half');
  const b = await connect(port, 1);
  await until(() => a.replies.length === 1 && b.replies.length === 1, 'a reply on each connection');
  expect(a.replies[0]!.body).toBe('aaaAAA');
  expect(b.replies[0]!.body).toBe('bbbBBB');
  a.conn.destroy();
  b.conn.destroy();
});
