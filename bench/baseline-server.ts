/**
 * The bench's baseline: the thinnest node:http + ws server that answers the protocol subset the
 * scenarios use (docs/protocol.md §1, §4, §5 and a minimal /stats). It is "the stack's limit": whatever
 * Loopscope's engine costs on top of this is the price of its structure and its metrics.
 *
 * Run: `node --import tsx bench/baseline-server.ts [--port N]`; prints `listening http://127.0.0.1:PORT`.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
// The engine's own prime test: the baseline differs from Loopscope in the stack around it, not the maths.
import { isPrime, parseInteger } from '../main/engine/prime';

const RETAIN = 10_000;
const POLL_BATCH = 1_000;
const MAX_BODY = 64 * 1024;
const MAX_BACKLOG = 1024 * 1024;
const HEARTBEAT_MS = 30_000;

interface Message {
  seq: number;
  data: string;
}
interface HeldPoll {
  res: http.ServerResponse;
  cursor: number;
  deadline: number;
}

const messages: Message[] = [];
let lastSeq = 0;
const heldPolls = new Set<HeldPoll>();
const wsFeeds = new Set<WebSocket>();
const sseStreams = new Set<http.ServerResponse>();

const LAG_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
loopDelay.enable();

function oldestSeq(): number {
  return messages[0]?.seq ?? lastSeq + 1;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(
  res: http.ServerResponse,
  status: number,
  error: string,
  message: string,
  extra = {},
): void {
  sendJson(res, status, { error, message, ...extra });
}

/** Messages after `cursor`, oldest first, at most `limit`. */
function after(cursor: number, limit: number): Message[] {
  const start = Math.max(0, cursor + 1 - oldestSeq());
  return messages.slice(start, start + limit);
}

/** The cursor from ?cursor= or Last-Event-ID, validated; null after an error reply was sent. */
function readCursor(url: URL, res: http.ServerResponse, lastEventId?: string): number | null {
  const raw = lastEventId ?? url.searchParams.get('cursor');
  if (raw === null) return lastSeq;
  if (!/^\d{1,15}$/.test(raw)) {
    sendError(res, 400, 'bad_request', 'cursor must be an integer ≥ 0');
    return null;
  }
  const cursor = Number(raw);
  if (cursor > lastSeq) {
    sendError(res, 400, 'bad_cursor', `cursor ${cursor} is newer than the newest message ${lastSeq}`);
    return null;
  }
  if (cursor > 0 && cursor < oldestSeq() - 1) {
    sendError(res, 410, 'cursor_expired', 'cursor is older than the retained window', {
      oldest: oldestSeq(),
    });
    return null;
  }
  return cursor;
}

function publish(data: string): number {
  const message = { seq: ++lastSeq, data };
  messages.push(message);
  if (messages.length > RETAIN) messages.shift();

  const frame = JSON.stringify(message);
  const pollBody = `{"cursor":${message.seq},"messages":[${frame}]}`;
  for (const poll of heldPolls) {
    heldPolls.delete(poll);
    if (poll.cursor === message.seq - 1) {
      poll.res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(pollBody),
      });
      poll.res.end(pollBody);
    } else {
      const batch = after(poll.cursor, POLL_BATCH);
      sendJson(poll.res, 200, { cursor: batch.at(-1)?.seq ?? poll.cursor, messages: batch });
    }
  }
  for (const ws of wsFeeds) {
    if (ws.bufferedAmount > MAX_BACKLOG) ws.close(1013, 'too slow');
    else ws.send(frame);
  }
  const event = sseEvent(message);
  for (const res of sseStreams) {
    if (res.writableLength > MAX_BACKLOG) res.end();
    else res.write(event);
  }
  return message.seq;
}

function sseEvent(m: Message): string {
  return `id: ${m.seq}\n${m.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;
}

function readBody(req: http.IncomingMessage, res: http.ServerResponse, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      req.removeAllListeners('data');
      req.pause();
      res.setHeader('connection', 'close');
      sendError(res, 413, 'payload_too_large', 'body is limited to 64 KiB');
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (size <= MAX_BODY) done(Buffer.concat(chunks).toString('utf8'));
  });
}

function handlePoll(url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const rawTimeout = url.searchParams.get('timeout');
  const timeout = rawTimeout === null ? 25 : Number(rawTimeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 120) {
    return sendError(res, 400, 'bad_request', 'timeout must be an integer from 1 to 120');
  }
  const cursor = readCursor(url, res);
  if (cursor === null) return;
  const batch = after(cursor, POLL_BATCH);
  if (batch.length > 0) return sendJson(res, 200, { cursor: batch.at(-1)?.seq, messages: batch });
  const poll = { res, cursor, deadline: Date.now() + timeout * 1000 };
  heldPolls.add(poll);
  req.socket.on('close', () => heldPolls.delete(poll));
}

function handleEvents(url: URL, req: http.IncomingMessage, res: http.ServerResponse): void {
  const header = req.headers['last-event-id'];
  const cursor = readCursor(url, res, typeof header === 'string' ? header : undefined);
  if (cursor === null) return;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const m of after(cursor, RETAIN)) res.write(sseEvent(m));
  sseStreams.add(res);
  res.on('close', () => sseStreams.delete(res));
}

const ROUTES: Record<
  string,
  Record<string, (url: URL, req: http.IncomingMessage, res: http.ServerResponse) => void>
> = {
  '/': {
    GET: (_url, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 12 });
      res.end('Hello, world');
    },
  },
  '/feed': {
    POST: (_url, req, res) => readBody(req, res, (body) => sendJson(res, 200, { seq: publish(body) })),
  },
  '/feed/poll': { GET: handlePoll },
  '/feed/events': { GET: handleEvents },
  '/stats': {
    GET: (_url, _req, res) => {
      // The histogram records whole timer periods; subtract the period to get the lag alone.
      const lag = (ns: number): number =>
        loopDelay.count > 0 ? Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) : 0;
      const p99 = lag(loopDelay.percentile(99));
      const max = lag(loopDelay.max);
      loopDelay.reset();
      sendJson(res, 200, {
        time: Date.now(),
        connections: {
          wsPrime: primeSockets.size,
          wsFeed: wsFeeds.size,
          sse: sseStreams.size,
          longPoll: heldPolls.size,
        },
        eventLoop: { p99Ms: p99, maxMs: max },
        memory: { rssBytes: process.memoryUsage.rss() },
      });
    },
  },
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const methods = ROUTES[url.pathname];
  if (!methods) return sendError(res, 404, 'not_found', `no route for ${url.pathname}`);
  const handler = methods[req.method ?? 'GET'];
  if (!handler) {
    res.setHeader('allow', Object.keys(methods).join(', '));
    return sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`);
  }
  handler(url, req, res);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
// Held polls and SSE streams live as long as they need to.
server.requestTimeout = 0;

const primeSockets = new Set<WebSocket>();
const alive = new WeakSet<WebSocket>();
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ws/prime') {
    wss.handleUpgrade(req, socket, head, (ws) => {
      primeSockets.add(ws);
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      ws.on('close', () => primeSockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text frames only');
        const n = parseInteger(data.toString());
        ws.send(
          n.ok
            ? `{"n":"${n.canonical}","prime":${isPrime(n.value)}}`
            : '{"error":"bad_integer","message":"send a decimal integer of at most 24 digits"}',
        );
      });
    });
  } else if (url.pathname === '/ws/feed') {
    const raw = url.searchParams.get('cursor');
    const cursor = raw === null ? lastSeq : Number(raw);
    if (!/^\d{0,15}$/.test(raw ?? '') || cursor > lastSeq || (cursor > 0 && cursor < oldestSeq() - 1)) {
      socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      for (const m of after(cursor, RETAIN)) ws.send(JSON.stringify(m));
      wsFeeds.add(ws);
      ws.on('close', () => wsFeeds.delete(ws));
    });
  } else {
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
  }
});

// One interval over all sockets and held polls, never a timer per connection.
setInterval(() => {
  for (const ws of wss.clients) {
    if (!alive.has(ws)) {
      ws.terminate();
      continue;
    }
    alive.delete(ws);
    ws.ping();
  }
}, HEARTBEAT_MS).unref();
setInterval(() => {
  for (const res of sseStreams) res.write(': keep-alive\n\n');
}, 15_000).unref();
setInterval(() => {
  const now = Date.now();
  for (const poll of heldPolls) {
    if (poll.deadline > now) continue;
    heldPolls.delete(poll);
    sendJson(poll.res, 200, { cursor: poll.cursor, messages: [] });
  }
}, 250).unref();

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  console.log(`listening http://127.0.0.1:${address.port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
