/**
 * The bench compares Loopscope with a bare Node server and a Tornado server; the comparison only
 * means something if those two answer the same protocol subset. This checks hello, prime answers
 * and the feed's exactly-once delivery over long poll, WebSocket and SSE, on real child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, tornadoVersion, type RunningServer, type ServerName } from '../../bench/servers';
import { until } from '../fixtures/poll';

const tornado = tornadoVersion();
const cases: { name: ServerName; skip: string | null }[] = [
  { name: 'baseline', skip: null },
  { name: 'tornado', skip: tornado.version === null ? tornado.reason : null },
];

function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

for (const { name, skip } of cases) {
  describe.skipIf(skip !== null)(`bench ${name} server${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(name);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers GET / with Hello, world', async () => {
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('Hello, world');
    });

    it('answers pipelined prime frames exactly and in order', async () => {
      const ws = await openSocket(`${server.url.replace('http', 'ws')}/ws/prime`);
      const sent = [
        '7',
        ' -12 ',
        '000097',
        '1',
        '2',
        'abc',
        '999999999999999999999999',
        '100000000000000000000117',
        '3215031751',
      ];
      const replies: unknown[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
      for (const text of sent) ws.send(text);
      await until(() => replies.length === sent.length, 'prime replies');
      ws.close();
      expect(replies).toEqual([
        { n: '7', prime: true },
        { n: '-12', prime: false },
        { n: '97', prime: true },
        { n: '1', prime: false },
        { n: '2', prime: true },
        expect.objectContaining({ error: 'bad_integer' }),
        { n: '999999999999999999999999', prime: false },
        { n: '100000000000000000000117', prime: true },
        { n: '3215031751', prime: false },
      ]);
    });

    it('delivers every published message exactly once over long poll, WebSocket and SSE', async () => {
      const start = (await (await fetch(`${server.url}/stats`)).json()) as object;
      expect(start).toHaveProperty('memory.rssBytes');
      const published: number[] = [];
      const publish = async (data: string): Promise<void> => {
        const res = await fetch(`${server.url}/feed`, { method: 'POST', body: data });
        expect(res.status).toBe(200);
        published.push(((await res.json()) as { seq: number }).seq);
      };
      await publish('before');
      const cursor = published[0] ?? 0;

      const wsSeqs: number[] = [];
      const ws = await openSocket(`${server.url.replace('http', 'ws')}/ws/feed?cursor=${cursor}`);
      ws.on('message', (data) => wsSeqs.push((JSON.parse(data.toString()) as { seq: number }).seq));

      const sseSeqs: number[] = [];
      const sseData: string[] = [];
      const abort = new AbortController();
      const sse = await fetch(`${server.url}/feed/events?cursor=${cursor}`, { signal: abort.signal });
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = sse.body?.getReader();
      if (!reader) throw new Error('SSE response has no body');
      const decoder = new TextDecoder();
      let buffer = '';
      const readEvents = (async () => {
        for (;;) {
          const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const lines = buffer.slice(0, end).split('\n');
            buffer = buffer.slice(end + 2);
            const id = lines.find((line) => line.startsWith('id: '));
            if (!id) continue;
            sseSeqs.push(Number(id.slice(4)));
            sseData.push(
              lines
                .filter((l) => l.startsWith('data: '))
                .map((l) => l.slice(6))
                .join('\n'),
            );
          }
        }
      })();

      const pollSeqs: number[] = [];
      let polling = true;
      const pollLoop = (async () => {
        let pollCursor = cursor;
        while (polling) {
          const res = await fetch(`${server.url}/feed/poll?cursor=${pollCursor}&timeout=1`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as { cursor: number; messages: { seq: number }[] };
          pollSeqs.push(...body.messages.map((m) => m.seq));
          pollCursor = body.cursor;
        }
      })();

      for (let i = 0; i < 20; i++) await publish(i === 5 ? 'two\nlines' : `message ${i}`);
      const expected = published.slice(1);
      await until(
        () => wsSeqs.length >= 20 && sseSeqs.length >= 20 && pollSeqs.length >= 20,
        'all three transports to receive 20 messages',
      );
      polling = false;
      await pollLoop;
      ws.close();
      abort.abort();
      await readEvents;

      expect(wsSeqs).toEqual(expected);
      expect(sseSeqs).toEqual(expected);
      expect(pollSeqs).toEqual(expected);
      expect(sseData[5]).toBe('two\nlines');
    });
  });
}
