/**
 * The request line's target as a URL, or a 400 bad_request. node:http hands over whatever the
 * client wrote (`GET http://[ HTTP/1.1` passes its parser), and `new URL()` throws a TypeError on
 * it: unguarded, one such request takes the whole process down. Both HTTP servers (the demo
 * server and the dashboard) parse their targets here.
 */
import { LoopscopeError } from '../../../common/errors';

/** The origin an origin-form target (`/path?query`) is resolved against; only path and query are read. */
const ORIGIN = 'http://localhost';

export function parseRequestTarget(target: string | undefined): URL {
  const raw = target ?? '/';
  try {
    // Origin-form is appended, not resolved: resolving `//stats` against a base would read
    // "stats" as a host name and lose the path. Absolute-form (`http://host/path`, which
    // HTTP/1.1 servers must accept) parses on its own; `*` (OPTIONS *) resolves to `/*`.
    return raw.startsWith('/') ? new URL(ORIGIN + raw) : new URL(raw, ORIGIN);
  } catch {
    throw new LoopscopeError(
      'bad_request',
      `the request target ${JSON.stringify(raw.slice(0, 200))} is not a valid URL or path`,
    );
  }
}
