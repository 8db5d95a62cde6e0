/**
 * The demo server: node:http and ws on one port. It owns the routing table, the upgrade routing
 * for /ws/prime, /ws/feed (and the /ws/echo extension), the protocol's JSON errors (404, 405 + Allow, 413, 400, ...) and
 * the graceful close: held polls answered, WebSockets closed with 1001, SSE streams ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isLoopscopeError, LoopscopeError } from '../../../common/errors';
import type { Route, ServerContext } from './context';
import { Exchange } from './exchange';
import { parseRequestTarget } from './request-target';
import { refuseUpgrade } from './refuse-upgrade';
import { serveEcho } from './sockets/echo';
import { aggregateRoutes } from './routes/aggregate';
import { bcryptRoutes } from './routes/bcrypt';
import { feedRoutes } from './routes/feed';
import { helloRoutes } from './routes/hello';
import { jobRoutes } from './routes/jobs';
import { observabilityRoutes } from './routes/observability';
import { slowRoutes } from './routes/slow';
import {
  capSockets,
  closeIdleAfterPendingReads,
  keepAliveHeader,
  timeoutOptions,
  type SocketLimitOptions,
} from './socket-limits';
import { stallRoutes } from './routes/stalls';
import { diagnosisRoutes } from './routes/diagnosis';
import { serveFeed } from './sockets/feed';
import { Heartbeat } from './sockets/heartbeat';
import { servePrime } from './sockets/prime';
import { BODY_LIMIT_BYTES, WS_FRAME_BYTES } from '../../../common/limits';

const ROUTES: Route[] = [
  ...helloRoutes,
  ...slowRoutes,
  ...aggregateRoutes,
  ...feedRoutes,
  ...jobRoutes,
  ...bcryptRoutes,
  ...observabilityRoutes,
  ...stallRoutes,
  ...diagnosisRoutes,
];

/** Stands in for a request target that did not parse, so its 400 can use the usual Exchange. */
const UNPARSED_TARGET = new URL('http://localhost/');

/** Paths only reachable by a WebSocket upgrade; a plain request to them gets 426. */
const WS_PATHS = new Set(['/ws/prime', '/ws/feed', '/ws/echo']);

type MethodTable = Map<string, Route['handle']>;

/** A path with `:name` segments: matched segment by segment, after every exact path. */
interface PatternPath {
  segments: string[];
  methods: MethodTable;
}

interface RouteTable {
  exact: Map<string, MethodTable>;
  patterns: PatternPath[];
}

function buildTable(routes: Route[]): RouteTable {
  const exact = new Map<string, MethodTable>();
  const patterns = new Map<string, PatternPath>();
  for (const route of routes) {
    let methods: MethodTable | undefined;
    if (route.path.includes('/:')) {
      let pattern = patterns.get(route.path);
      if (!pattern)
        patterns.set(route.path, (pattern = { segments: route.path.split('/'), methods: new Map() }));
      methods = pattern.methods;
    } else {
      methods = exact.get(route.path);
      if (!methods) exact.set(route.path, (methods = new Map()));
    }
    methods.set(route.method, route.handle);
    // HEAD is GET without a body; node:http drops the body for us.
    if (route.method === 'GET' && !route.noHead) methods.set('HEAD', route.handle);
  }
  return { exact, patterns: [...patterns.values()] };
}

/** The routes for `path` and its `:name` segments; null when no route has that path. */
function lookup(
  table: RouteTable,
  path: string,
): { methods: MethodTable; params: Record<string, string> } | null {
  const methods = table.exact.get(path);
  if (methods) return { methods, params: {} };
  const parts = path.split('/');
  for (const pattern of table.patterns) {
    if (pattern.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.segments.every((seg, i) => {
      if (!seg.startsWith(':')) return seg === parts[i];
      params[seg.slice(1)] = parts[i]!;
      return parts[i] !== '';
    });
    if (matches) return { methods: pattern.methods, params };
  }
  return null;
}

export interface HttpServerOptions extends SocketLimitOptions {
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
  private readonly keepAlive: string | null;
  private closing: Promise<void> | null = null;

  constructor(ctx: ServerContext, options: HttpServerOptions = {}) {
    this.ctx = ctx;
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
    this.keepAlive = keepAliveHeader(options);
    this.server = createServer(timeoutOptions(options), (req, res) => this.onRequest(req, res));
    capSockets(this.server, ctx.counters, options);
    closeIdleAfterPendingReads(this.server);
    // A frame over WS_FRAME_BYTES closes the socket with 1009 (ws enforces it while reading).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: WS_FRAME_BYTES, perMessageDeflate: false });
    this.heartbeat = new Heartbeat(ctx.sseStreams, options.pingMs, options.keepAliveMs);
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
            new LoopscopeError('port_in_use', `port ${port} on ${host} is already in use`, {
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
    if (this.keepAlive) res.setHeader('keep-alive', this.keepAlive);
    let url: URL;
    try {
      url = parseRequestTarget(req.url);
    } catch (err) {
      // No route sees a target that does not parse; its 400 goes out like any other error.
      new Exchange(req, res, UNPARSED_TARGET, this.ctx.counters).error(err as LoopscopeError);
      return;
    }
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
    const found = lookup(this.table, path);
    if (!found) {
      if (WS_PATHS.has(path)) {
        throw new LoopscopeError('upgrade_required', `${path} is a WebSocket endpoint; connect with ws://`);
      }
      throw new LoopscopeError('not_found', `no such path: ${path}`);
    }
    const { methods, params } = found;
    ex.params = params;
    const handle = methods.get(method);
    if (!handle) {
      const allow = [...methods.keys()].join(', ');
      throw new LoopscopeError('method_not_allowed', `${method} is not allowed on ${path}; use ${allow}`, {
        allow,
      });
    }
    // Refused up front for every route, not only those that read a body: the rule is general.
    if (Number(ex.req.headers['content-length']) > BODY_LIMIT_BYTES) {
      throw new LoopscopeError(
        'payload_too_large',
        `the request body must be at most ${BODY_LIMIT_BYTES} bytes`,
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
    ex.error(new LoopscopeError('internal_error', 'the server failed to handle this request'));
  }

  private accept(ws: WebSocket): void {
    this.heartbeat.watch(ws);
    // ws reports a peer's protocol violation (frame over 1 KiB, bad UTF-8, ...) as an 'error' and
    // then closes with the matching code (1009, 1007, ...). That is the peer's fault, not ours:
    // count it and let the close run.
    ws.on('error', () => this.ctx.counters.wsProtocolErrors++);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const url = parseRequestTarget(req.url);
      if (this.closing) throw new LoopscopeError('shutting_down', 'the server is shutting down');
      if (url.pathname === '/ws/prime') {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.accept(ws);
          servePrime(ws, socket, this.ctx);
        });
      } else if (url.pathname === '/ws/echo') {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          this.accept(ws);
          serveEcho(ws, this.ctx);
        });
      } else if (url.pathname === '/ws/feed') {
        const raw = url.searchParams.get('cursor');
        const cursor = raw === null ? undefined : Number(/^\d+$/.test(raw) ? raw : NaN);
        if (cursor !== undefined && !Number.isSafeInteger(cursor)) {
          throw new LoopscopeError(
            'bad_request',
            `cursor must be an integer from 0 up, got ${JSON.stringify(raw)}`,
          );
        }
        const upgrade = () => {
          const after = this.ctx.feed.resolveCursor(cursor);
          this.wss.handleUpgrade(req, socket, head, (ws) => {
            this.accept(ws);
            serveFeed(ws, after, this.ctx);
          });
        };
        // Shared state: the mirror first catches up with what other processes published.
        const synced = this.ctx.state.sync();
        if (!synced) upgrade();
        else
          synced.then(upgrade).catch((err: unknown) => {
            refuseUpgrade(
              socket,
              isLoopscopeError(err)
                ? err
                : new LoopscopeError('internal_error', 'the server failed to upgrade this request'),
            );
          });
      } else {
        throw new LoopscopeError('not_found', `no WebSocket endpoint at ${url.pathname}`);
      }
    } catch (err) {
      if (isLoopscopeError(err)) {
        refuseUpgrade(socket, err);
        return;
      }
      // A bug, not bad input. Thrown from an 'upgrade' listener it would end the process, so it
      // is reported the way onRequest reports one: 500 to this client, the evidence on stderr.
      console.error('loopscope: unexpected error while upgrading', req.url, err);
      refuseUpgrade(
        socket,
        new LoopscopeError('internal_error', 'the server failed to upgrade this request'),
      );
    }
  }
}
