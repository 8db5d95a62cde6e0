/**
 * Issue 9's descriptor probe: `npx tsx bench/probes/flood.ts URL [ws] [sse] [poll]` opens that
 * many /ws/feed sockets, /feed/events streams and held /feed/poll requests at once (defaults
 * 1000/500/500), holds them 3 s, prints how many got through, closes them, and reads /stats.
 * Run the server under a low limit, e.g. `sh -c 'ulimit -n 1024; exec npm run serve -- --port 8888'`.
 */
import { request } from 'node:http';
import WebSocket from 'ws';

const [base = 'http://127.0.0.1:8888', ws = '1000', sse = '500', poll = '500'] = process.argv.slice(2);
const closers: (() => void)[] = [];
const outcome = { open: 0, failed: 0 };

function httpHold(path: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${base}${path}`, { agent: false }, (res) => {
      outcome.open++;
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', () => {
      outcome.failed++;
      resolve();
    });
    // A held poll sends no headers until it is answered: count it once the request is on the wire.
    if (path.startsWith('/feed/poll'))
      req.on('socket', (s) => s.once('connect', () => setTimeout(resolve, 500)));
    req.end();
    closers.push(() => req.destroy());
  });
}

function wsHold(): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/feed`);
    socket.on('open', () => (outcome.open++, resolve()));
    socket.on('error', () => (outcome.failed++, resolve()));
    closers.push(() => socket.terminate());
  });
}

const all = [
  ...Array.from({ length: Number(ws) }, wsHold),
  ...Array.from({ length: Number(sse) }, () => httpHold('/feed/events')),
  ...Array.from({ length: Number(poll) }, () => httpHold('/feed/poll?timeout=60')),
];
await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 15_000))]);
await new Promise((r) => setTimeout(r, 3_000));
console.log(`opened ${outcome.open}, failed ${outcome.failed}`);
for (const close of closers) close();
await new Promise((r) => setTimeout(r, 1_000));
request(`${base}/stats`, { agent: false }, (res) => {
  let text = '';
  res.on('data', (c) => (text += c));
  res.on('end', () => console.log('after:', JSON.stringify(JSON.parse(text).sockets ?? 'no sockets block')));
})
  .on('error', (e) => console.log('after: /stats failed:', e.message))
  .end();
