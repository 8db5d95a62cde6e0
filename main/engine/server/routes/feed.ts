/**
 * docs/protocol.md §5: publish to the feed, and receive it by long polling (§5a) or server-sent
 * events (§5c). The WebSocket push (§5b) lives in sockets/feed.ts.
 */
import { TextDecoder } from 'node:util';
import { sseEvent } from '../../feed';
import type { Route, ServerContext } from '../context';
import { badRequest, type Exchange } from '../exchange';
import { FeedStream, type FeedTransport } from '../feed-stream';
import { BODY_LIMIT_BYTES, POLL_TIMEOUT_S } from '../../../../common/limits';

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function publish(ex: Exchange, ctx: ServerContext): Promise<void> {
  const body = await ex.body();
  let data: string;
  try {
    data = utf8.decode(body);
  } catch {
    throw badRequest(`the body (message) must be UTF-8 text of at most ${BODY_LIMIT_BYTES} bytes`);
  }
  const seq = ctx.state.publish(data);
  ctx.counters.published++;
  ex.json(200, { seq: typeof seq === 'number' ? seq : await seq });
}

async function poll(ex: Exchange, ctx: ServerContext): Promise<void> {
  const cursor = ex.optionalCursor(ex.url.searchParams.get('cursor'), 'cursor');
  const timeoutS = ex.intParam('timeout', POLL_TIMEOUT_S);
  // Shared state: first let the mirror catch up with what other processes published.
  const synced = ctx.state.sync();
  if (synced) await synced;
  ctx.longPolls.poll(ex, ctx.feed.resolveCursor(cursor), timeoutS);
}

async function events(ex: Exchange, ctx: ServerContext): Promise<void> {
  // EventSource reconnects with Last-Event-ID; it takes precedence over the query cursor.
  // An empty header (a stream that never saw an id) counts as absent.
  const lastEventId = String(ex.req.headers['last-event-id'] ?? '').trim();
  const cursor =
    lastEventId !== ''
      ? ex.optionalCursor(lastEventId, 'Last-Event-ID')
      : ex.optionalCursor(ex.url.searchParams.get('cursor'), 'cursor');
  const synced = ctx.state.sync();
  if (synced) await synced;
  const after = ctx.feed.resolveCursor(cursor);
  const res = ex.res;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  ex.become('sse');
  const transport: FeedTransport = {
    buffered: () => res.writableLength,
    send(message, drained) {
      const ok = res.write(sseEvent(message));
      if (!ok) res.once('drain', drained);
      return ok;
    },
    // Ending politely would queue the end behind the very backlog that is too big.
    evict: () => res.destroy(),
    cork: () => res.cork(),
    uncork: () => res.uncork(),
  };
  const stream = new FeedStream(ctx.feed, transport, after);
  ctx.sseStreams.add(res);
  res.once('close', () => {
    ctx.sseStreams.delete(res);
    stream.stop();
  });
  stream.start();
}

export const feedRoutes: Route[] = [
  { method: 'POST', path: '/feed', handle: publish },
  { method: 'GET', path: '/feed/poll', handle: poll },
  { method: 'GET', path: '/feed/events', handle: events, noHead: true },
];
