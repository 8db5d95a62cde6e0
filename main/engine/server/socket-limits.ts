/**
 * What the demo server lets one connection, and all of them together, hold: node:http's
 * timeouts for slow or silent clients, and a cap on open sockets kept below the process's
 * descriptor limit. Past that limit accept() fails with EMFILE, and then everything needing a
 * descriptor fails with it (reading /proc for the RSS, opening a file, a worker's pipe); below
 * it the server refuses the connections it cannot afford, counts them, and says so once.
 */
import { readFileSync } from 'node:fs';
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_GRACE_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  SERVER_FD_RESERVE,
  TIMEOUT_CHECK_MS,
} from '../../../common/limits';
import type { EngineCounters } from '../metrics/counters';

// node:http stops timing a request once its body is complete, so REQUEST_TIMEOUT_MS never cuts a
// held long poll (up to 120 s), an SSE stream or a WebSocket.

export interface SocketLimitOptions {
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  timeoutCheckMs?: number;
  /**
   * Open sockets the server accepts; past it new connections are closed at once and counted.
   * Default: the descriptor limit minus a reserve. 0: no cap of the server's own.
   */
  maxSockets?: number;
}

/** The soft RLIMIT_NOFILE (`ulimit -n`), where the platform shows it (Linux /proc); else null. */
export function descriptorLimit(): number | null {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? null : Number(soft);
  } catch {
    return null; // No /proc (macOS, Windows): EMFILE is still survived, just not foreseen.
  }
}

/** The socket cap that leaves the reserve free under `fdLimit`. */
export function socketsUnder(fdLimit: number): number {
  return Math.max(
    1,
    fdLimit - Math.max(SERVER_FD_RESERVE.min, Math.ceil(fdLimit * SERVER_FD_RESERVE.fraction)),
  );
}

/** node:http's own timeouts, as createServer() options (the check interval can only be set there). */
export function timeoutOptions(options: SocketLimitOptions = {}): ServerOptions {
  const keepAlive = options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  return {
    headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    // 0 keeps node's meaning: no keep-alive timeout at all.
    keepAliveTimeout: keepAlive === 0 ? 0 : keepAlive + KEEP_ALIVE_GRACE_MS,
    connectionsCheckingInterval: options.timeoutCheckMs ?? TIMEOUT_CHECK_MS,
  };
}

/**
 * The `Keep-Alive` header every response carries: the timeout without the grace, in whole seconds
 * as node would write it. Node writes its own from the enforced timeout, which is the race.
 */
export function keepAliveHeader(options: SocketLimitOptions = {}): string | null {
  const ms = options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  return ms === 0 ? null : `timeout=${Math.floor(ms / 1000)}`; // 0: no timeout, nothing to say
}

/**
 * Closes an idle keep-alive connection when its timeout fires, unless a request reached it first.
 * node:http destroys the socket from the timer itself, and libuv runs the timers that came due
 * before it reads what arrived meanwhile: when the loop is held past the close (a bcrypt on the
 * loop, any stall, a busy process on a busy machine) a request sent in time is still unread, and
 * closing with unread data makes the kernel answer it with a reset (the client's ECONNRESET).
 * One turn later that read has run: a request that arrived is served, a silent socket is closed.
 * `server.timeout` is 0, so on this server 'timeout' only ever means the keep-alive timeout.
 */
export function closeIdleAfterPendingReads(server: Server): void {
  server.on('timeout', (socket: Socket) => {
    const read = socket.bytesRead;
    setImmediate(() => {
      if (socket.bytesRead === read) socket.destroy();
    });
  });
}

/** Caps the open sockets of `server`; refusals go to `counters.refusedAccepts` and one stderr line. */
export function capSockets(
  server: Server,
  counters: EngineCounters,
  options: SocketLimitOptions = {},
  warn: (line: string) => void = (line) => console.error(line),
): void {
  const fdLimit = descriptorLimit();
  const fromLimit = options.maxSockets === undefined && fdLimit !== null;
  const cap = options.maxSockets ?? (fdLimit === null ? 0 : socketsUnder(fdLimit));
  server.maxConnections = cap;
  counters.maxSockets = cap > 0 ? cap : null;

  let warned = false;
  const refused = (why: string): void => {
    counters.refusedAccepts++;
    if (warned) return; // Once per process: under a flood this would otherwise be a line per accept.
    warned = true;
    warn(`loopscope: refusing new connections: ${why}`);
  };
  // node:net closes a connection past maxConnections itself and reports it as 'drop'.
  server.on('drop', () =>
    refused(
      fromLimit
        ? `${cap} sockets are open, all that ulimit -n ${fdLimit} leaves room for; raise it with ulimit -n`
        : `${cap} sockets are open, the maxSockets cap`,
    ),
  );
  // Out of descriptors anyway (no cap, or something else took them): libuv closes what it cannot
  // accept and, when even that fails, node:net emits an accept error, which would end the
  // process if nobody listened.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall === 'accept' && (err.code === 'EMFILE' || err.code === 'ENFILE')) {
      const limit = fdLimit === null ? '' : ` ${fdLimit}`;
      refused(`out of file descriptors (${err.code}); raise the limit (ulimit -n${limit})`);
    } else if (server.listening) {
      console.error('loopscope: server error', err);
    }
  });
}
