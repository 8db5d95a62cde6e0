/**
 * The browser-mode bridge: the typed API of common/api.ts over one WebSocket per dashboard tab.
 *
 * Guarded against cross-site WebSocket hijacking: the upgrade is refused unless it carries the
 * dashboard's random token and comes from the dashboard's own origin. Every frame is untrusted:
 * a malformed one gets an error reply and the bridge keeps serving.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { EVENT_NAMES } from '../../common/api';
import { BRIDGE_PATH, type ReplyFrame, type ServerFrame } from '../../common/bridge-frames';
import type { AppHost } from '../control/app-host';

export interface BridgeOptions {
  host: AppHost;
  token: string;
  /** Origins the page may be served from, e.g. http://127.0.0.1:8890. */
  allowedOrigins: () => readonly string[];
  /** Dashboard tabs at once; more are refused with 503. */
  maxClients?: number;
}

/** A frame is at most a command with a small payload. */
const MAX_FRAME_BYTES = 64 * 1024;
/** A tab that cannot keep up skips events rather than letting the app buffer without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface Bridge {
  /** Hand an HTTP upgrade to the bridge; it answers 4xx/5xx itself when it refuses. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly clientCount: number;
  close(): void;
}

export function createBridge(options: BridgeOptions): Bridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, clientTracking: true });
  const expectedToken = Buffer.from(options.token);
  const maxClients = options.maxClients ?? 16;

  const broadcast = (frame: ServerFrame): void => {
    if (wss.clients.size === 0) return;
    const text = JSON.stringify(frame);
    for (const client of wss.clients) {
      if (client.readyState === client.OPEN && client.bufferedAmount < MAX_BUFFERED_BYTES) client.send(text);
    }
  };
  const unsubscribers = EVENT_NAMES.map((event) =>
    options.host.on(event, (data) => broadcast({ type: 'event', event, data })),
  );

  const refusal = (req: IncomingMessage): [number, string] | null => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (url.pathname !== BRIDGE_PATH) return [404, 'Not Found'];
    const token = Buffer.from(url.searchParams.get('token') ?? '');
    if (token.length !== expectedToken.length || !timingSafeEqual(token, expectedToken)) {
      return [401, 'Unauthorized'];
    }
    const origin = req.headers.origin;
    if (origin === undefined || !options.allowedOrigins().includes(origin)) return [403, 'Forbidden'];
    if (wss.clients.size >= maxClients) return [503, 'Service Unavailable'];
    return null;
  };

  const onMessage = (ws: WebSocket, data: RawData, isBinary: boolean): void => {
    const frame = readCommandFrame(data, isBinary);
    if (!frame.ok) {
      send(ws, frame.reply);
      return;
    }
    const { id, name, payload } = frame;
    void options.host.handle(name, payload).then((result) => {
      send(
        ws,
        result.ok ? { type: 'reply', id, ok: true, value: result.value } : { type: 'reply', id, ...result },
      );
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
        const [status, text] = refused;
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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

function send(ws: WebSocket, frame: ReplyFrame): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
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
