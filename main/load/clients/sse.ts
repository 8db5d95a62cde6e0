/**
 * sse: follows GET /feed/events from "now" as a browser's EventSource would, parsing the
 * text/event-stream format itself (id:, data: lines, blank line ends an event, ":" comments).
 * A dropped stream is reopened with Last-Event-ID, as EventSource does (docs/protocol.md §10); it counts
 * (stream_ended) only after MAX_RESUMES_IN_A_ROW reopenings bring nothing, so losses stay visible.
 */
import http from 'node:http';
import type { FeedTracker } from '../feed-tracker';
import { FollowerClient, FollowerPool } from '../follower-pool';
import { causeOf } from '../stats';
import type { Target } from '../target';

/** An event line longer than this means the stream is broken; protects the generator's memory. */
const MAX_PENDING_TEXT = 4 * 1024 * 1024;

class SseClient extends FollowerClient {
  req: http.ClientRequest | null = null;
  buffer = '';
  eventId: string | null = null;
  dataLines: string[] = [];

  close(): void {
    this.req?.destroy();
  }

  destroy(): void {
    this.req?.destroy();
  }
}

export class SseKind extends FollowerPool<SseClient> {
  constructor(target: Target, connectTimeoutMs: number) {
    super('sse', target, connectTimeoutMs);
  }

  protected createClient(tracker: FeedTracker): SseClient {
    return new SseClient(tracker);
  }

  protected dial(c: SseClient, localAddress: string | undefined): void {
    const last = c.tracker.last;
    const req = http.get(`${this.target.httpBase}/feed/events`, {
      localAddress,
      agent: false,
      headers: { accept: 'text/event-stream', ...(last === null ? {} : { 'last-event-id': String(last) }) },
    });
    c.req = req;
    /** Only this request's first ending counts; a resumed client has moved on to another. */
    const end = (cause: string) => {
      if (c.req !== req) return;
      // Reopened with Last-Event-ID, as EventSource does.
      if (!this.resumeAfterDrop(c, localAddress, c.tracker.last !== null)) {
        this.ended(c, cause);
        return;
      }
      c.req = null;
      c.buffer = '';
      c.eventId = null;
      c.dataLines = [];
    };
    req.on('error', (err) => end(causeOf(err)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        if (c.req === req) this.ended(c, `http_${res.statusCode ?? 0}`);
        res.resume();
        req.destroy();
        return;
      }
      this.opened(c);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.chunk(c, chunk));
      res.on('end', () => end('stream_ended'));
      res.on('close', () => end('stream_ended'));
      res.on('error', (err) => end(causeOf(err)));
    });
  }

  private chunk(c: SseClient, chunk: string): void {
    c.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = c.buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = c.buffer.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.line(c, line);
    }
    c.buffer = c.buffer.slice(start);
    if (c.buffer.length > MAX_PENDING_TEXT) {
      this.ended(c, 'bad_stream');
      c.destroy();
    }
  }

  private line(c: SseClient, line: string): void {
    if (line === '') {
      if (c.dataLines.length > 0) {
        const seq = Number(c.eventId);
        if (c.eventId === null || !Number.isInteger(seq)) this.stats.fail('bad_frame');
        else {
          c.resumesInARow = 0;
          c.tracker.accept(seq, c.dataLines.join('\n'));
        }
      }
      c.dataLines = [];
      return;
    }
    if (line.startsWith(':')) return; // comment, e.g. ": keep-alive"
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') c.dataLines.push(value);
    else if (field === 'id') c.eventId = value;
  }
}
