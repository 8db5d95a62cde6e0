/**
 * One keep-alive HTTP/1.1 connection on a raw socket, driven the way autocannon drives its targets:
 * the caller writes request bytes it built once (or cheaply), and a minimal parser reads the replies
 * (status line, Content-Length or chunked body, Connection: close). Requests may be pipelined; the
 * replies come back in the order they were sent. Node's http client (ClientRequest, Agent, header
 * objects, IncomingMessage streams) cost the generator ~4× the CPU per request; this does not.
 */
import net from 'node:net';
import { causeOf } from './stats';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** A reply head larger than this is not a reply from a server we load. */
const MAX_HEAD_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);
/**
 * Every connection of the process reads into this one buffer (net's `onread`): a read is parsed
 * before the next one lands, and what outlives it (a partial head, body parts) is copied out. This
 * skips the Readable stream's per-read allocation, push and 'data' event, a share of each reply's
 * cost when a publish answers 5,000 long polls at once.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

type ParseState = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'until-close';

export interface HttpConnectionEvents {
  /** The TCP connection is up. */
  connected(): void;
  /** One reply, in request order; body is null unless the connection keeps bodies. */
  reply(status: number, body: Buffer | null): void;
  /** The socket is gone: null when close() or destroy() asked for it, else the cause. */
  ended(cause: string | null): void;
}

export interface HttpConnectionOptions {
  host: string;
  port: number;
  localAddress: string | undefined;
  /** Keep reply bodies (long poll reads them); other kinds only need the status. */
  keepBody: boolean;
  /** A body longer than this ends the connection with "body_too_large". */
  maxBodyBytes: number;
}

export class HttpConnection {
  /** Requests written and not yet answered. */
  outstanding = 0;
  connected = false;
  /** performance.now() of the last write or reply. */
  lastActive = performance.now();
  private readonly socket: net.Socket;
  private buf: Buffer = EMPTY;
  private state: ParseState = 'head';
  private status = 0;
  private remaining = 0;
  private bodySize = 0;
  private parts: Buffer[] = [];
  private closeAfter = false;
  private done = false;

  constructor(
    private readonly options: HttpConnectionOptions,
    private readonly events: HttpConnectionEvents,
  ) {
    const socket = net.connect({
      host: options.host,
      port: options.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number) => {
          this.onData(READ_BUFFER.subarray(0, n));
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.lastActive = performance.now();
      events.connected();
    });
    socket.on('end', () => {
      if (this.state === 'until-close') this.complete();
      this.finish(this.outstanding > 0 ? 'ECONNRESET' : 'server_closed');
    });
    socket.on('error', (err) => this.finish(causeOf(err)));
    socket.on('close', () => this.finish(this.outstanding > 0 ? 'ECONNRESET' : 'server_closed'));
  }

  /** close(), destroy() or the socket's end happened: nothing more can be sent. */
  get closed(): boolean {
    return this.done;
  }

  /** Writes one request (built by the caller, with its own Host and framing headers). */
  send(request: Buffer | string): void {
    this.outstanding++;
    this.lastActive = performance.now();
    this.socket.write(request);
  }

  /** Writes several requests with one syscall (pipelining). */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Ends politely: the server may still answer what was sent; ended(null) follows. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.socket.end();
    this.socket.once('close', () => this.events.ended(null));
  }

  /** Ends at once as a drop: ended(cause) follows at once, as if the server had closed it. */
  drop(cause: string): void {
    this.finish(cause);
  }

  /** Ends at once; ended(null) follows from the socket's close, never synchronously. */
  destroy(): void {
    if (this.done) {
      this.socket.destroy();
      return;
    }
    this.done = true;
    this.socket.once('close', () => this.events.ended(null));
    this.socket.destroy();
  }

  private finish(cause: string): void {
    if (this.done) return;
    this.done = true;
    this.socket.destroy();
    this.events.ended(cause);
  }

  /** `chunk` is READ_BUFFER's: valid only during this call. */
  private onData(chunk: Buffer): void {
    if (this.done && this.outstanding === 0) return;
    const buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    // Each pass consumes bytes or breaks, so the loop is bounded by the chunk's length.
    for (;;) {
      if (this.state === 'head') {
        const end = buf.indexOf(HEAD_END, off);
        if (end === -1) {
          if (buf.length - off > MAX_HEAD_BYTES) return this.finish('bad_reply');
          break;
        }
        if (!this.head(buf, off, end)) return this.finish('bad_reply');
        off = end + 4;
        continue;
      }
      if (this.state === 'length' || this.state === 'chunk-data' || this.state === 'until-close') {
        const take =
          this.state === 'until-close' ? buf.length - off : Math.min(this.remaining, buf.length - off);
        if (take > 0 && !this.body(buf.subarray(off, off + take))) return this.finish('body_too_large');
        off += take;
        if (this.state === 'until-close') break;
        this.remaining -= take;
        if (this.remaining > 0) break;
        if (this.state === 'length') this.complete();
        else this.state = 'chunk-end';
        continue;
      }
      if (this.state === 'chunk-end') {
        if (buf.length - off < 2) break;
        off += 2;
        this.state = 'chunk-size';
        continue;
      }
      // chunk-size or trailer: both read one line.
      const eol = buf.indexOf(CRLF, off);
      if (eol === -1) {
        if (buf.length - off > MAX_HEAD_BYTES) return this.finish('bad_reply');
        break;
      }
      if (this.state === 'chunk-size') {
        const size = parseInt(buf.toString('latin1', off, eol), 16);
        if (!Number.isFinite(size) || size < 0) return this.finish('bad_reply');
        this.remaining = size;
        this.state = size === 0 ? 'trailer' : 'chunk-data';
      } else if (eol === off) {
        this.complete();
      }
      off = eol + 2;
    }
    this.buf = off >= buf.length ? EMPTY : Buffer.from(buf.subarray(off));
    if (this.closeAfter && this.outstanding === 0 && this.state === 'head') this.finish('server_closed');
  }

  /**
   * Parses the reply head in buf[start, end); false if it is not HTTP/1.x. Only the three framing
   * headers are turned into strings: a header line is looked at only if it starts with c or t.
   */
  private head(buf: Buffer, start: number, end: number): boolean {
    // "HTTP/1.x NNN"
    if (end - start < 12 || buf[start] !== 0x48 || buf[start + 5] !== 0x31 || buf[start + 6] !== 0x2e)
      return false;
    const status = (buf[start + 9]! - 48) * 100 + (buf[start + 10]! - 48) * 10 + (buf[start + 11]! - 48);
    if (!(status >= 100 && status <= 999)) return false;
    this.status = status;
    let length = -1;
    let chunked = false;
    let close = buf[start + 7] === 0x30; // HTTP/1.0 closes unless told otherwise
    let at = buf.indexOf(CRLF, start);
    while (at !== -1 && at < end) {
      const line = at + 2;
      const next = buf.indexOf(CRLF, line);
      const lineEnd = next === -1 || next > end ? end : next;
      const first = buf[line]! | 0x20; // lower case
      if (first === 0x63 || first === 0x74) {
        const text = buf.toString('latin1', line, lineEnd);
        const colon = text.indexOf(':');
        const name = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
        if (name === 'content-length') length = Number(text.slice(colon + 1).trim());
        else if (name === 'transfer-encoding') chunked = /chunked/i.test(text);
        else if (name === 'connection') close = /close/i.test(text);
      }
      at = next === -1 || next >= end ? -1 : next;
    }
    this.closeAfter = close;
    this.bodySize = 0;
    this.parts = [];
    if (chunked) {
      this.state = 'chunk-size';
    } else if (length >= 0 || status === 204 || status === 304 || status < 200) {
      this.remaining = Math.max(0, length);
      this.state = 'length';
      if (this.remaining === 0) this.complete();
    } else {
      this.state = 'until-close';
    }
    return true;
  }

  private body(part: Buffer): boolean {
    this.bodySize += part.length;
    if (this.bodySize > this.options.maxBodyBytes) return false;
    if (this.options.keepBody) this.parts.push(Buffer.from(part));
    return true;
  }

  private complete(): void {
    this.state = 'head';
    this.outstanding--;
    this.lastActive = performance.now();
    const body = this.options.keepBody
      ? this.parts.length === 1
        ? this.parts[0]!
        : Buffer.concat(this.parts)
      : null;
    this.parts = [];
    this.events.reply(this.status, body);
  }
}

/** The head of a request, with the Host header a server expects. */
export function requestHead(
  method: string,
  path: string,
  host: string,
  body?: { length: number; contentType: string },
): string {
  const framing = body ? `content-type: ${body.contentType}\r\ncontent-length: ${body.length}\r\n` : '';
  return `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n${framing}\r\n`;
}
