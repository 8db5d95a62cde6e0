/**
 * The checks every request to the dashboard's port passes first, plain HTTP and WebSocket upgrade
 * alike, so the two paths cannot drift apart: the Host header, then the request target. Both run
 * before anything reads the token, because they guard the code that would read it.
 *
 * A request target node:http accepts can still be one the WHATWG URL parser refuses
 * (`GET http://[`, `GET http://a:99999/`); `new URL` then throws. Thrown from an 'upgrade'
 * listener that killed the whole app, unauthenticated, so the target is checked, never trusted.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Base for request targets that are paths; it never leaves this process. */
const URL_BASE = 'http://dashboard';

/** A refused request: the HTTP status and the error body both paths send. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export type Checked = { ok: true; url: URL } | { ok: false; refusal: Refusal };

/**
 * `allowedHosts`: the Host values the dashboard answers to. A page on another site that rebinds its
 * DNS name to 127.0.0.1 still sends its own Host, so this is what defeats DNS rebinding.
 */
export function checkRequest(req: IncomingMessage, allowedHosts: readonly string[]): Checked {
  if (!allowedHosts.includes(req.headers.host ?? '')) {
    return {
      ok: false,
      refusal: {
        status: 403,
        code: 'forbidden_host',
        message: 'the dashboard answers only on its loopback address',
      },
    };
  }
  const target = req.url ?? '/';
  if (!URL.canParse(target, URL_BASE)) {
    return { ok: false, refusal: { status: 400, code: 'bad_request', message: 'malformed request target' } };
  }
  return { ok: true, url: new URL(target, URL_BASE) };
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Answers a refused upgrade on the raw socket with the same JSON body plain HTTP gets, then hangs up. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  // A peer that resets while being refused is no server error; the socket goes either way.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ error: refusal.code, message: refusal.message });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${REASONS[refusal.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
