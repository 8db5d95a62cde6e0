/**
 * Small real-socket clients for the engine's integration tests: plain node:http requests (no
 * connection pooling surprises), WebSocket helpers and an SSE reader. No mocks.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export function request(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const post = (url: string, body: string | Buffer, headers?: Record<string, string>) =>
  request(url, { method: 'POST', body, headers });

export { until } from '../fixtures/poll';

export async function stats(base: string): Promise<Record<string, Record<string, number>>> {
  return (await request(`${base}/stats`)).json();
}

export function wsUrl(base: string, path: string): string {
  return base.replace(/^http/, 'ws') + path;
}

/** An open WebSocket whose text messages are collected in order. */
export async function openWs(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(url, options);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(data.toString()));
  await once(ws, 'open');
  return { ws, messages };
}

export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

export interface SseEvent {
  id: string;
  data: string;
}

/** Reads an SSE stream with a small parser that follows the spec's line rules. */
export function openSse(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let status = 0;
  let contentType = '';
  let ended = false;
  const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
  const ready = new Promise<void>((resolve, reject) => {
    req.on('error', (err) => (ended ? undefined : reject(err)));
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      let buffer = '';
      let id = '';
      let data: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length > 0) events.push({ id, data: data.join('\n') });
            data = [];
          } else if (line.startsWith(':')) comments.push(line);
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
          else if (line === 'data:') data.push('');
        }
      });
      res.on('close', () => (ended = true));
      resolve();
    });
  });
  req.end();
  return {
    events,
    comments,
    ready,
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    get ended() {
      return ended;
    },
    close: () => {
      ended = true;
      req.destroy();
    },
  };
}
