/**
 * Issue 9's probes against `serve` as a real process: bad request targets, listener warnings,
 * slow clients, descriptor exhaustion. Each test is one probe that once killed or degraded the
 * server; it checks the process is still there and everyone else is still served.
 */
import { describe, expect, it } from 'vitest';
import { request } from './engine-client';
import { baseUrl, rawExchange, serve } from './serve-child';

const UPGRADE_HEADERS =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

function expectBadRequest(reply: string): void {
  expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  expect(reply).toMatch(/\r\ncontent-type: application\/json/i);
  const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { error: string };
  expect(body.error).toBe('bad_request');
}

describe('request targets that do not parse as URLs', () => {
  it('get 400 bad_request, on plain requests and upgrades, and the server carries on', async () => {
    const child = serve(['--port', '0']);
    try {
      const base = await baseUrl(child);
      // Held across the probes: a client that must not notice them.
      const poll = request(`${base}/feed/poll?timeout=30`);
      for (const target of ['http://[', 'http://a:99999/']) {
        const plain = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
        expectBadRequest(await rawExchange(base, plain));
        const upgrade = `GET ${target} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS}\r\n`;
        expectBadRequest(await rawExchange(base, upgrade));
      }
      expect(child.proc.exitCode).toBeNull();
      expect((await request(`${base}/`)).text).toBe('Hello, world');
      // An absolute-form target that does parse is served by its path, as HTTP/1.1 requires.
      const absolute = await rawExchange(
        base,
        'GET http://x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(absolute).toMatch(/^HTTP\/1\.1 200 [^]*Hello, world$/);
      await request(`${base}/feed`, { method: 'POST', body: 'still here' });
      expect((await poll).json()).toMatchObject({ messages: [{ data: 'still here' }] });
    } finally {
      child.proc.kill('SIGTERM');
      expect(await child.exit).toBe(0);
    }
    expect(child.stderr()).toBe('');
  });
});

describe('/aggregate with the largest fan-out', () => {
  it('prints no MaxListenersExceededWarning', async () => {
    const child = serve(['--port', '0']);
    try {
      const base = await baseUrl(child);
      const reply = await request(`${base}/aggregate?calls=50&ms=0`);
      expect(reply.status).toBe(200);
      expect(reply.json()).toMatchObject({ calls: 50 });
    } finally {
      child.proc.kill('SIGTERM');
      // After exit every byte the server wrote to stderr has arrived.
      expect(await child.exit).toBe(0);
    }
    expect(child.stderr()).not.toMatch(/MaxListenersExceededWarning/);
    expect(child.stderr()).toBe('');
  });
});
