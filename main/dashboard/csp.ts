/**
 * The dashboard's Content-Security-Policy, shared by browser mode (a response header) and the
 * Electron window (main/window.ts). No inline script, no eval, no remote code; the page may only
 * open WebSockets to loopback (the bridge, and the prime box's /ws/prime on the demo server).
 * renderer/index.html carries the same policy as a meta tag for file:// loads.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
