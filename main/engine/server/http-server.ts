/**
 * The demo server: node:http and ws on one port. It owns the routing table, the upgrade routing
 * for /ws/prime and /ws/feed, the protocol's JSON errors (404, 405 + Allow, 413, 400, ...) and
 * the graceful close: held polls answered, WebSockets closed with 1001, SSE streams ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isLoopscopeError, LoopscopeError } from '../errors';
import type { Route, ServerContext } from './context';
import { BODY_LIMIT, Exchange } from './exchange';
import { aggregateRoutes } from './routes/aggregate';
import { bcryptRoutes } from './routes/bcrypt';
import { feedRoutes } from './routes/feed';
import { helloRoutes } from './routes/hello';
import { jobRoutes } from './routes/jobs';
import { observabilityRoutes } from './routes/observability';
import { slowRoutes } from './routes/slow';
import { stallRoutes } from './routes/stalls';
import { serveFeed } from './sockets/feed';
import { Heartbeat } from './sockets/heartbeat';
import { servePrime } from './sockets/prime';

/** A frame over 1 KiB closes the socket with 1009 (ws enforces it while reading). */
export const MAX_FRAME_BYTES = 1024;

const ROUTES: Route[] = [
  ...helloRoutes,
  ...slowRoutes,
  ...aggregateRoutes,
  ...feedRoutes,
  ...jobRoutes,
  ...bcryptRoutes,
  ...observabilityRoutes,
  ...stallRoutes,
];

/** Paths only reachable by a WebSocket upgrade; a plain request to them gets 426. */
const WS_PATHS = new Set(['/ws/prime', '/ws/feed']);

type MethodTable = Map<string, Route['handle']>;

function buildTable(routes: Route[]): Map<string, MethodTable> {
  const table = new Map<string, MethodTable>();
  for (const route of routes) {
    let methods = table.get(route.path);
    if (!methods) table.set(route.path, (methods = new Map()));
    methods.set(route.method, route.handle);
    // HEAD is GET without a body; node:http drops the body for us.
    if (route.method === 'GET' && !route.noHead) methods.set('HEAD', route.handle);
  }
  return table;
}

export interface HttpServerOptions {
  pingMs?: number;
  keepAliveMs?: number;
  /** How long close() lets in-flight requests finish before cutting their connections. */
  closeGraceMs?: number;
}

export class DemoServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly ctx: ServerContext;
  private readonly table = buildTable(ROUTES);
  private readonly heartbeat: Heartbeat;
  private readonly closeGraceMs: number;
  private closing: Promise<void> | null = null;

  constructor(ctx: ServerContext, options: HttpServerOptions = {}) {
    this.ctx = ctx;
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    this.heartbeat = new Heartbeat(this.wss, ctx.sseStreams, options.pingMs, options.keepAliveMs);
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket) => {
      ctx.counters.connectionsOpened++;
      socket.once('close', () => ctx.counters.connectionsClosed++);
    });
  }

  /** Binds and resolves with the port actually used; EADDRINUSE becomes port_in_use. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        if (err.code === 'EADDRINUSE') {
          reject(
            new LoopscopeError('port_in_use', `port ${port} on ${host} is already in use`, 500, {
              host,
              port,
            }),
          );
        } else {
          reject(err);
        }
      };
      const onListening = () => {
        this.server.off('error', onError);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.heartbeat.stop();
    this.ctx.longPolls.answerAll();
    this.ctx.longPolls.stop();
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    for (const res of this.ctx.sseStreams) res.end();
    this.server.closeIdleConnections();
    // Whatever is still running (a /slow, a bcrypt, a WebSocket that never answers the close)
    // gets a grace period, then its connection is cut.
    const grace = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
      this.server.closeAllConnections();
    }, this.closeGraceMs);
    await closed;
    clearTimeout(grace);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ex = new Exchange(req, res, url, this.ctx.counters);
    if (this.closing) {
      res.setHeader('connection', 'close');
      // After close() began, connections that finish a reply are not kept for reuse.
      res.once('finish', () => this.server.closeIdleConnections());
    }
    let result: void | Promise<void>;
    try {
      result = this.dispatch(ex, url.pathname, req.method ?? 'GET');
    } catch (err) {
      this.fail(ex, err);
      return;
    }
    if (result) result.catch((err: unknown) => this.fail(ex, err));
  }

  private dispatch(ex: Exchange, path: string, method: string): void | Promise<void> {
    const methods = this.table.get(path);
    if (!methods) {
      if (WS_PATHS.has(path)) {
        throw new LoopscopeError(
          'upgrade_required',
          `${path} is a WebSocket endpoint; connect with ws://`,
          426,
        );
      }
      throw new LoopscopeError('not_found', `no such path: ${path}`, 404);
    }
    const handle = methods.get(method);
    if (!handle) {
      const allow = [...methods.keys()].join(', ');
      throw new LoopscopeError(
        'method_not_allowed',
        `${method} is not allowed on ${path}; use ${allow}`,
        405,
        {
          allow,
        },
      );
    }
    // Refused up front for every route, not only those that read a body: the rule is general.
    if (Number(ex.req.headers['content-length']) > BODY_LIMIT) {
      throw new LoopscopeError(
        'payload_too_large',
        `the request body must be at most ${BODY_LIMIT} bytes`,
        413,
      );
    }
    return handle(ex, this.ctx);
  }

  private fail(ex: Exchange, err: unknown): void {
    if (isLoopscopeError(err)) {
      ex.error(err);
      return;
    }
    // A bug, not bad input: say so to the client and leave the evidence on stderr.
    console.error('loopscope: unexpected error while serving', ex.req.method, ex.req.url, err);
    ex.error(new LoopscopeError('internal_error', 'the server failed to handle this request', 500));
  }

  private accept(ws: WebSocket): void {
    this.heartbeat.watch(ws);
    // ws reports a peer's protocol violation (frame over 1 KiB, bad UTF-8, ...) as an 'error' and
    // then closes with the matching code (1009, 1007, ...). That is the peer's fault, not ours:
    // count it and let the close run.
    ws.on('error', () => this.ctx.counters.wsProtocolErrors++);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (this.closing) throw new LoopscopeError('shutting_down', 'the server is shutting down', 503);
      if (url.pathname === '/ws/prime') {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.accept(ws);
          servePrime(ws, socket, this.ctx);
        });
      } else if (url.pathname === '/ws/feed') {
        const raw = url.searchParams.get('cursor');
        const cursor = raw === null ? undefined : Number(/^\d+$/.test(raw) ? raw : NaN);
        if (cursor !== undefined && !Number.isSafeInteger(cursor)) {
          throw new LoopscopeError(
            'bad_request',
            `cursor must be an integer from 0 up, got ${JSON.stringify(raw)}`,
            400,
          );
        }
        const after = this.ctx.feed.resolveCursor(cursor);
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.accept(ws);
          serveFeed(ws, after, this.ctx);
        });
      } else {
        throw new LoopscopeError('not_found', `no WebSocket endpoint at ${url.pathname}`, 404);
      }
    } catch (err) {
      if (!isLoopscopeError(err)) throw err;
      rejectUpgrade(socket, err);
    }
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  410: 'Gone',
  503: 'Service Unavailable',
};

/** Answers a refused upgrade with the same JSON error a plain request would get, then hangs up. */
function rejectUpgrade(socket: Duplex, err: LoopscopeError): void {
  // A peer that resets while being refused is no server error; the socket is dropped either way.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ error: err.code, message: err.message, ...err.details });
  socket.end(
    `HTTP/1.1 ${err.status} ${REASONS[err.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
