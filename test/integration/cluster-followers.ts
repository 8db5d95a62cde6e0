/**
 * Feed followers for the §10 tests: one per transport, each resuming from its cursor when its
 * connection drops (a killed worker), each recording every seq it is given, so a test can assert
 * "exactly once, in order" over the whole run.
 */
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { wsUrl } from './engine-client';

/**
 * One HTTP request that gives up after `timeoutMs`. A connection node:cluster was handing to a
 * process at the instant that process was killed is never answered nor closed, so a client that
 * survives a worker kill needs a deadline, as real clients have.
 */
export function httpText(
  url: string,
  opts: { method?: string; body?: string; timeoutMs: number },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}

export interface Follower {
  readonly seqs: number[];
  readonly data: string[];
  /** Times the follower lost its connection and resumed from its cursor. */
  readonly resumes: number;
  stop(): void;
}

interface Sink {
  seqs: number[];
  data: string[];
  resumes: number;
  stopped: boolean;
}

/** What a follower shows of its sink; `end` cuts whatever connection it holds. */
function followerOf(sink: Sink, end: () => void = () => {}): Follower {
  return {
    get seqs() {
      return sink.seqs;
    },
    get data() {
      return sink.data;
    },
    get resumes() {
      return sink.resumes;
    },
    stop() {
      sink.stopped = true;
      end();
    },
  };
}

const RETRY_MS = 50;
/** A connect (WebSocket handshake, SSE headers) that takes longer is dropped and retried. */
const CONNECT_TIMEOUT_MS = 3000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function take(sink: Sink, seq: number, data: string): void {
  sink.seqs.push(seq);
  sink.data.push(data);
}
const cursorOf = (sink: Sink, start: number) => sink.seqs[sink.seqs.length - 1] ?? start;

export function followWs(base: string, start: number): Follower & { opened: Promise<void> } {
  const sink: Sink = { seqs: [], data: [], resumes: 0, stopped: false };
  let ws: WebSocket | null = null;
  let firstOpen: () => void = () => {};
  const opened = new Promise<void>((r) => (firstOpen = r));
  const connect = () => {
    if (sink.stopped) return;
    ws = new WebSocket(wsUrl(base, `/ws/feed?cursor=${cursorOf(sink, start)}`), {
      handshakeTimeout: CONNECT_TIMEOUT_MS,
    });
    ws.on('open', () => firstOpen());
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { seq: number; data: string };
      take(sink, m.seq, m.data);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (sink.stopped) return;
      sink.resumes++;
      setTimeout(connect, RETRY_MS);
    });
  };
  connect();
  // Object.assign onto the follower keeps its getters live (a spread would copy their values).
  return Object.assign(
    followerOf(sink, () => ws?.terminate()),
    { opened },
  );
}

export function followSse(base: string, start: number): Follower & { opened: Promise<void> } {
  const sink: Sink = { seqs: [], data: [], resumes: 0, stopped: false };
  let destroy: () => void = () => {};
  let firstOpen: () => void = () => {};
  const opened = new Promise<void>((r) => (firstOpen = r));
  const connect = () => {
    if (sink.stopped) return;
    const req = httpRequest(`${base}/feed/events`, {
      agent: false,
      headers: { accept: 'text/event-stream', 'last-event-id': String(cursorOf(sink, start)) },
    });
    destroy = () => req.destroy();
    const connectTimer = setTimeout(() => req.destroy(), CONNECT_TIMEOUT_MS);
    let dropped = false;
    const drop = () => {
      if (dropped || sink.stopped) return;
      dropped = true;
      sink.resumes++;
      setTimeout(connect, RETRY_MS);
    };
    req.on('error', drop);
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      firstOpen();
      let buffer = '';
      let id = 0;
      let lines: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (lines.length > 0) take(sink, id, lines.join('\n'));
            lines = [];
          } else if (line.startsWith('id: ')) id = Number(line.slice(4));
          else if (line.startsWith('data: ')) lines.push(line.slice(6));
        }
      });
      res.on('close', drop);
      res.on('error', drop);
    });
    req.end();
  };
  connect();
  return Object.assign(
    followerOf(sink, () => destroy()),
    { opened },
  );
}

/** Long-polls with the cursor it was given, each poll on a fresh connection (any process). */
export function followPoll(base: string, start: number): Follower {
  const sink: Sink = { seqs: [], data: [], resumes: 0, stopped: false };
  void (async () => {
    while (!sink.stopped) {
      try {
        const reply = await httpText(`${base}/feed/poll?cursor=${cursorOf(sink, start)}&timeout=2`, {
          timeoutMs: 2000 + CONNECT_TIMEOUT_MS,
        });
        if (reply.status !== 200) throw new Error(reply.text);
        const body = JSON.parse(reply.text) as { messages: { seq: number; data: string }[] };
        if (sink.stopped) return;
        for (const m of body.messages) take(sink, m.seq, m.data);
      } catch {
        if (sink.stopped) return;
        sink.resumes++;
        await pause(RETRY_MS);
      }
    }
  })();
  return followerOf(sink);
}

/** seqs from..to, each once, in order. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
