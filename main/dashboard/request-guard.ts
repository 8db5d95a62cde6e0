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
import { LoopscopeError } from '../../common/errors';

/** Base for request targets that are paths; it never leaves this process. */
const URL_BASE = 'http://dashboard';

/** A refused request: its code gives the status; both paths send the same error body. */
export type Checked = { ok: true; url: URL } | { ok: false; refusal: LoopscopeError };

/**
 * `allowedHosts`: the Host values the dashboard answers to. A page on another site that rebinds its
 * DNS name to 127.0.0.1 still sends its own Host, so this is what defeats DNS rebinding.
 */
export function checkRequest(req: IncomingMessage, allowedHosts: readonly string[]): Checked {
  if (!allowedHosts.includes(req.headers.host ?? '')) {
    return {
      ok: false,
      refusal: new LoopscopeError('forbidden_host', 'the dashboard answers only on its loopback address'),
    };
  }
  const target = req.url ?? '/';
  if (!URL.canParse(target, URL_BASE)) {
    return { ok: false, refusal: new LoopscopeError('bad_request', 'malformed request target') };
  }
  return { ok: true, url: new URL(target, URL_BASE) };
}
