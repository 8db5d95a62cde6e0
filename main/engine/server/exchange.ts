/**
 * One HTTP request and its reply, with the protocol's general rules built in: JSON replies and
 * errors, the 64 KiB body limit, and query values checked against their allowed range. It also
 * knows which connection gauge the request counts under, so a request that becomes a held long
 * poll or an SSE stream moves gauges in one place.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopscopeError } from '../../../common/errors';
import type { ConnectionKind, EngineCounters } from '../metrics/counters';
import { BODY_LIMIT_BYTES, type IntRange } from '../../../common/limits';
import { parseIntText } from '../../../common/range';

export function badRequest(message: string): LoopscopeError {
  return new LoopscopeError('bad_request', message);
}

export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The `:name` segments of the route's path, as the request spelled them (set by the router). */
  params: Readonly<Record<string, string>> = {};
  private gauge: ConnectionKind = 'http';
  private readonly counters: EngineCounters;

  constructor(req: IncomingMessage, res: ServerResponse, url: URL, counters: EngineCounters) {
    this.req = req;
    this.res = res;
    this.url = url;
    this.counters = counters;
    counters.httpRequests++;
    counters.open('http');
    res.once('close', () => counters.close(this.gauge));
  }

  /** Moves this request from the in-flight HTTP gauge to a held/streaming one. */
  become(kind: ConnectionKind): void {
    this.counters.move(this.gauge, kind);
    this.gauge = kind;
  }

  /** True once the client has gone or a reply has been sent. */
  get finished(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  intParam(name: string, r: IntRange): number {
    return parseIntText(name, this.url.searchParams.get(name), r);
  }

  /** An optional non-negative integer (feed cursors): undefined when absent. */
  optionalCursor(raw: string | null | undefined, name: string): number | undefined {
    if (raw === null || raw === undefined) return undefined;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value)) {
      throw badRequest(
        `${name} must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  }

  enumParam<T extends string>(name: string, allowed: readonly T[]): T {
    const raw = this.url.searchParams.get(name);
    if (raw === null || !(allowed as readonly string[]).includes(raw)) {
      const got = raw === null ? 'nothing' : JSON.stringify(raw);
      throw badRequest(`${name} must be one of ${allowed.join(', ')}, got ${got}`);
    }
    return raw as T;
  }

  /**
   * Reads the whole body, at most 64 KiB. Past the limit it stops reading and throws
   * payload_too_large; the reply then closes the connection so the rest is never read.
   */
  body(limit = BODY_LIMIT_BYTES): Promise<Buffer> {
    const tooLarge = () =>
      new LoopscopeError('payload_too_large', `the request body must be at most ${limit} bytes`);
    const declared = Number(this.req.headers['content-length']);
    if (declared > limit) return Promise.reject(tooLarge());
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const cleanup = () => {
        this.req.off('data', onData);
        this.req.off('end', onEnd);
        this.req.off('error', onGone);
        this.req.off('close', onGone);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          cleanup();
          this.req.pause();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        cleanup();
        resolve(Buffer.concat(chunks, size));
      };
      // The client hung up (or reset) before sending the whole body: there is nobody to answer.
      const onGone = () => {
        cleanup();
        reject(new LoopscopeError('request_aborted', 'the client went away while sending the body'));
      };
      this.req.on('data', onData);
      this.req.on('end', onEnd);
      this.req.on('error', onGone);
      this.req.on('close', onGone);
    });
  }

  /** The body as a JSON object; anything else is a bad_request naming what was expected. */
  async jsonBody(expected: string): Promise<Record<string, unknown>> {
    const text = (await this.body()).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest(`the body must be JSON ${expected}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badRequest(`the body must be JSON ${expected}`);
    }
    return value as Record<string, unknown>;
  }

  json(status: number, body: unknown): void {
    this.sendRaw(status, 'application/json', JSON.stringify(body));
  }

  text(status: number, body: string): void {
    this.sendRaw(status, 'text/plain; charset=utf-8', body);
  }

  sendRaw(
    status: number,
    contentType: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): void {
    if (this.finished) return;
    this.res.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    this.res.end(body);
  }

  error(err: LoopscopeError): void {
    if (this.finished) return;
    if (this.res.headersSent) {
      // A stream already started cannot change its status; ending it is the only honest signal.
      this.res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    if (err.status === 413) headers.connection = 'close';
    if (typeof err.details.allow === 'string') headers.allow = err.details.allow;
    const { allow: _allow, ...details } = err.details;
    const body = JSON.stringify({ error: err.code, message: err.message, ...details });
    this.sendRaw(err.status, 'application/json', body, headers);
  }
}
