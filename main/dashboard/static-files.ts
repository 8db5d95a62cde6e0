/**
 * Serves the built renderer (out/renderer) read-only: GET/HEAD only, no directory listings, no
 * path escapes, every response under the strict CSP and with no referrer (the URL carries the token).
 */
import { LoopscopeError } from '../../common/errors';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from './csp';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export function sendError(res: ServerResponse, err: LoopscopeError): void {
  res.writeHead(err.status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: err.code, message: err.message }));
}

/** `pathname` comes from the request target already checked by request-guard.ts. */
export async function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendError(res, new LoopscopeError('method_not_allowed', 'the dashboard only serves GET and HEAD'));
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    sendError(res, new LoopscopeError('bad_request', 'malformed path'));
    return;
  }
  const file = resolve(root, '.' + relative);
  if (!file.startsWith(root + sep) || relative.includes('\0')) {
    sendError(res, new LoopscopeError('not_found', 'no such file'));
    return;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    sendError(res, new LoopscopeError('not_found', 'no such file'));
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', (err) => res.destroy(err))
    .pipe(res);
}
