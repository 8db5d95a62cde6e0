/**
 * Keep-alive under `serve --workers 2` (issue 22 item 5): a client that reuses an idle connection
 * before the time the server's `Keep-Alive` header promised is answered, even when the process
 * holding that connection has its loop held past the moment it closes idle connections. Before,
 * the close ran first and found the request unread: the kernel reset the connection (ECONNRESET).
 * Real processes, raw sockets on 127.0.0.1, the loop held by bcrypt on the loop (protocol §7).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_GRACE_MS } from '../../common/limits';
import { request, until } from './engine-client';
import { baseUrl, serve, type Child } from './serve-child';

/** node:http holds an idle socket up to this much longer again (1 s on Node 20.20, measured). */
const NODE_BUFFER_MS = 1_000;
/** The most hashes one blocker is given, whatever a hash costs here: bounds the test's time. */
const MAX_HASHES = 20;
const GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const HASH = 'POST /bcrypt?mode=loop&cost=14 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx';

let child: Child;
let port = 0;
const opened: Socket[] = [];

interface Reply {
  head: string;
  body: string;
  /** performance.now() when the whole reply had arrived. */
  at: number;
}

/** One connection as a plain keep-alive client holds it: requests written, replies read by Content-Length. */
class Connection {
  readonly replies: Reply[] = [];
  /** Why the connection ended ('end' or an error code), once it has. */
  ended: string | null = null;
  private text = '';

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => (this.ended ??= 'end'));
    socket.on('error', (err: NodeJS.ErrnoException) => (this.ended ??= err.code ?? err.message));
  }

  static async open(): Promise<Connection> {
    const socket = connect(port, '127.0.0.1');
    opened.push(socket);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Connection(socket);
  }

  send(text: string): number {
    this.socket.write(text);
    return performance.now();
  }

  /** Waits for the `count`th reply; a connection that ends first fails, saying how. */
  async reply(count: number, timeoutMs = 30_000): Promise<Reply> {
    await until(
      () => this.replies.length >= count || this.ended !== null,
      `reply ${count} on a kept-alive connection`,
      timeoutMs,
    );
    const reply = this.replies[count - 1];
    if (!reply)
      throw new Error(
        `the connection ended (${this.ended}) after ${this.replies.length} of ${count} replies`,
      );
    return reply;
  }

  private onData(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    for (;;) {
      const end = this.text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.text.slice(0, end);
      const length = Number(/^content-length: (\d+)/im.exec(head)?.[1] ?? 0);
      if (this.text.length < end + 4 + length) return;
      this.replies.push({ head, body: this.text.slice(end + 4, end + 4 + length), at: performance.now() });
      this.text = this.text.slice(end + 4 + length);
    }
  }
}

const statusOf = (reply: Reply) => Number(/^HTTP\/1\.1 (\d+)/.exec(reply.head)?.[1]);
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, at - performance.now()));

beforeAll(async () => {
  child = serve(['--port', '0', '--workers', '2']);
  const base = await baseUrl(child, 85_000);
  port = Number(new URL(base).port);
  // Both processes take connections before the test opens its own, so they are handed out in turn.
  await until(
    async () => (await request(`${base}/stats`)).json<{ workers: unknown[] }>().workers.length === 2,
    'both workers in /stats',
    60_000,
  );
}, 150_000);

afterAll(async () => {
  for (const socket of opened) socket.destroy();
  if (child.proc.exitCode === null) child.proc.kill('SIGTERM');
  expect(await child.exit).toBe(0);
}, 30_000);

describe('keep-alive under serve --workers 2', () => {
  it('answers a reuse sent before the advertised timeout while the loop is held past the close', async () => {
    const idle = await Connection.open();
    idle.send(GET);
    await idle.reply(1);
    // node:cluster hands connections to the processes in turn, so with one blocker after the
    // idle connection and one more, both processes get one, whichever holds the idle connection.
    const blockers = [await Connection.open(), await Connection.open()];
    for (const blocker of blockers) {
      blocker.send(GET);
      await blocker.reply(1);
    }
    // How long a hash takes here with both processes hashing: enough of them hold the loop past the close.
    for (const blocker of blockers) blocker.send(HASH);
    const hashMs = Math.max(
      ...(await Promise.all(blockers.map((b) => b.reply(2)))).map(
        (r) => (JSON.parse(r.body) as { ms: number }).ms,
      ),
    );

    // The idle clock starts at this reply.
    const last = await (idle.send(GET), idle.reply(2));
    const advertised = /^keep-alive: timeout=(\d+)$/im.exec(last.head);
    expect(advertised, last.head).not.toBeNull();
    const advertisedMs = Number(advertised![1]) * 1000;
    // The latest the server closes an idle connection: what it promised, its grace, node's own.
    const closeMs = advertisedMs + KEEP_ALIVE_GRACE_MS + NODE_BUFFER_MS;
    const holdFromMs = advertisedMs - 1_000;
    // Twice the hashes the span needs at the measured pace: that pace was taken with both
    // processes hashing on a machine other test files share, and a hash can run twice as fast later.
    const hashes = Math.min(MAX_HASHES, Math.ceil((2 * (closeMs + 1_000 - holdFromMs)) / hashMs));

    await sleepUntil(last.at + holdFromMs);
    // Pipelined in one write: read together, hashed back to back without the loop turning.
    for (const blocker of blockers) blocker.send(HASH.repeat(hashes));
    await sleepUntil(last.at + advertisedMs - 500);
    const sentAt = idle.send(GET);
    expect(sentAt - last.at).toBeLessThan(advertisedMs); // a client keeping to the promise

    const answer = await idle.reply(3);
    expect(statusOf(answer)).toBe(200);
    // Otherwise the loop was free before the close and this proves nothing: raise MAX_HASHES.
    expect(answer.at - last.at).toBeGreaterThan(closeMs);
    for (const blocker of blockers) expect(statusOf(await blocker.reply(2 + hashes))).toBe(200);
  }, 90_000);
});
