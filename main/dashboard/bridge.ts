/**
 * The browser-mode bridge: the typed API of common/api.ts over one WebSocket per dashboard tab.
 *
 * Guarded against cross-site WebSocket hijacking: the upgrade is refused unless it carries the
 * dashboard's Host (request-guard.ts, as for plain HTTP), the dashboard's random token and the
 * dashboard's own Origin. Every frame is untrusted: a malformed one gets an error reply and the
 * bridge keeps serving; a client that does not read what it is sent is closed, not buffered for.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { LoopscopeError } from '../../common/errors';
import { EVENT_NAMES } from '../../common/api';
import { BRIDGE_PATH, type ReplyFrame, type ServerFrame } from '../../common/bridge-frames';
import type { AppHost } from '../control/app-host';
import { refuseUpgrade } from '../engine/server/refuse-upgrade';
import { checkRequest } from './request-guard';

export interface BridgeOptions {
  host: AppHost;
  token: string;
  /** Host values the dashboard answers to, e.g. 127.0.0.1:8890; the allowed Origins are http:// + these. */
  allowedHosts: () => readonly string[];
  /** Dashboard tabs at once; more are refused with 503. */
  maxClients?: number;
}

/** A frame is at most a command with a small payload; a bigger one closes its socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Bytes waiting to be sent to one client past which it is closed with 1013 (try again later; the
 * page reconnects). Without it a client that sends commands but never reads their replies makes
 * the app buffer without bound: 5,000 frames took the app from 133 to 444 MB.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;
/** Default for BridgeOptions.maxClients. */
export const DEFAULT_MAX_CLIENTS = 16;

export interface Bridge {
  /** Hand an HTTP upgrade to the bridge; it answers 4xx/5xx itself when it refuses. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clientCount: number;
  close(): void;
}

export function createBridge(options: BridgeOptions): Bridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: true });
  const expectedToken = Buffer.from(options.token);
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;

  const broadcast = (frame: ServerFrame): void => {
    if (wss.clients.size === 0) return;
    const text = JSON.stringify(frame);
    for (const client of wss.clients) send(client, text);
  };
  const unsubscribers = EVENT_NAMES.map((event) =>
    options.host.on(event, (data) => broadcast({ type: 'event', event, data })),
  );

  /** The checks in order: Host and a parseable target (as plain HTTP), path, token, Origin, room. */
  const refusal = (req: IncomingMessage): LoopscopeError | null => {
    const checked = checkRequest(req, options.allowedHosts());
    if (!checked.ok) return checked.refusal;
    if (checked.url.pathname !== BRIDGE_PATH) {
      return new LoopscopeError('not_found', `no WebSocket endpoint at ${checked.url.pathname}`);
    }
    const token = Buffer.from(checked.url.searchParams.get('token') ?? '');
    if (token.length !== expectedToken.length || !timingSafeEqual(token, expectedToken)) {
      return new LoopscopeError('unauthorized', 'the bridge needs the token the dashboard URL carries');
    }
    const origin = req.headers.origin;
    const allowedOrigins = options.allowedHosts().map((h) => `http://${h}`);
    if (origin === undefined || !allowedOrigins.includes(origin)) {
      return new LoopscopeError('forbidden_origin', 'the bridge serves only pages of the dashboard');
    }
    if (wss.clients.size >= maxClients) {
      return new LoopscopeError('too_many_clients', `at most ${maxClients} dashboard tabs at once`);
    }
    return null;
  };

  const onMessage = (ws: WebSocket, data: RawData, isBinary: boolean): void => {
    // A client closed for falling behind gets no more of the app's time.
    if (ws.readyState !== ws.OPEN) return;
    const frame = readCommandFrame(data, isBinary);
    if (!frame.ok) {
      send(ws, JSON.stringify(frame.reply));
      return;
    }
    const { id, name, payload } = frame;
    void options.host.handle(name, payload).then((result) => {
      const reply: ReplyFrame = result.ok
        ? { type: 'reply', id, ok: true, value: result.value }
        : { type: 'reply', id, ...result };
      send(ws, JSON.stringify(reply));
    });
  };

  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    // A protocol violation (e.g. an oversized frame) closes that socket only; log nothing else.
    ws.on('error', () => ws.terminate());
  });

  return {
    handleUpgrade(req, socket, head) {
      const refused = refusal(req);
      if (refused) {
        refuseUpgrade(socket, refused);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    get clientCount() {
      return wss.clients.size;
    },
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      for (const client of wss.clients) client.close(1001, 'dashboard closing');
      wss.close();
    },
  };
}

/**
 * Every frame to a client, reply or event, goes through here: one rule for all of them. A client
 * with MAX_QUEUED_BYTES already waiting is closed with 1013 instead of being sent more.
 */
function send(ws: WebSocket, text: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount >= MAX_QUEUED_BYTES) {
    ws.close(1013, `more than ${MAX_QUEUED_BYTES} bytes unread`);
    return;
  }
  ws.send(text);
}

type ReadFrame = { ok: true; id: number; name: unknown; payload: unknown } | { ok: false; reply: ReplyFrame };

function badFrame(id: number | null, message: string): { ok: false; reply: ReplyFrame } {
  return { ok: false, reply: { type: 'reply', id, ok: false, error: { code: 'bad_frame', message } } };
}

function readCommandFrame(data: RawData, isBinary: boolean): ReadFrame {
  if (isBinary) return badFrame(null, 'frames must be text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return badFrame(null, 'frame is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return badFrame(null, 'frame must be an object {id, name, payload}');
  }
  const { id, name, payload } = parsed as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    return badFrame(null, 'frame.id must be an integer');
  }
  // Unknown names and bad payloads are answered by validateCommand with their own codes.
  return { ok: true, id, name, payload };
}
