/**
 * Closed-loop load for throughput figures (prime, hello, overhead): each connection keeps a fixed
 * number of requests in flight and sends the next one the moment an answer arrives, like wrk or
 * autocannon. Loopscope's generator is open-model (one request per interval, latency from the due
 * time), which measures latency at a rate but not a server's ceiling; this runs beside it, in its
 * own process, so its CPU never lands on the server's loop.
 *
 * Forked by closed-loop.ts; receives one ClosedLoopJob over IPC and answers with a ClosedLoopResult.
 */
import { createHistogram } from 'node:perf_hooks';
import net from 'node:net';
import WebSocket from 'ws';
import { buildQuestionPool } from '../../main/engine/load/prime-check';
import type { ClosedLoopJob, ClosedLoopMessage } from './closed-loop';

const rtt = createHistogram();
let measuring = false;
let stopping = false;
let received = 0;
let wrong = 0;
let errors = 0;

function record(startNs: bigint): void {
  if (!measuring) return;
  received++;
  rtt.record(Math.max(1, Number((process.hrtime.bigint() - startNs) / 1000n)));
}

function runPrime(job: ClosedLoopJob): void {
  const pool = buildQuestionPool(2048);
  for (let c = 0; c < job.connections; c++) {
    const ws = new WebSocket(`${job.url.replace(/^http/, 'ws')}/ws/prime`, { perMessageDeflate: false });
    const waiting: { start: bigint; q: (typeof pool)[number] }[] = [];
    const send = (): void => {
      const q = pool[Math.floor(Math.random() * pool.length)]!;
      waiting.push({ start: process.hrtime.bigint(), q });
      ws.send(q.text);
    };
    ws.on('open', () => {
      for (let i = 0; i < job.inFlight; i++) send();
    });
    ws.on('message', (data) => {
      const w = waiting.shift();
      if (!w) return void wrong++;
      record(w.start);
      const text = data.toString();
      if (text !== `{"n":"${w.q.canonical}","prime":${w.q.prime}}`) {
        const reply = JSON.parse(text) as { n?: string; prime?: boolean };
        if (reply.n !== w.q.canonical || reply.prime !== w.q.prime) wrong++;
      }
      if (!stopping) send();
    });
    ws.on('error', () => errors++);
    sockets.push(() => ws.terminate());
  }
}

/** Keep-alive GET / over raw sockets: a minimal HTTP/1.1 client so the client is never the limit. */
function runHello(job: ClosedLoopJob): void {
  const { hostname, port } = new URL(job.url);
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  for (let c = 0; c < job.connections; c++) {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    const starts: bigint[] = [];
    let buffer = '';
    const send = (): void => {
      starts.push(process.hrtime.bigint());
      socket.write(request);
    };
    socket.on('connect', () => {
      for (let i = 0; i < job.inFlight; i++) send();
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const headEnd = buffer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffer.slice(0, headEnd);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
        if (length === undefined) {
          errors++;
          socket.destroy();
          return;
        }
        const end = headEnd + 4 + Number(length);
        if (buffer.length < end) return;
        if (!head.startsWith('HTTP/1.1 200') || buffer.slice(headEnd + 4, end) !== 'Hello, world') wrong++;
        buffer = buffer.slice(end);
        const start = starts.shift();
        if (start !== undefined) record(start);
        if (!stopping) send();
      }
    });
    socket.on('error', () => errors++);
    sockets.push(() => socket.destroy());
  }
}

const sockets: Array<() => void> = [];

process.once('message', (job: ClosedLoopJob) => {
  if (job.mode === 'prime') runPrime(job);
  else runHello(job);
  setTimeout(() => {
    measuring = true;
    rtt.reset();
    process.send?.({ type: 'measuring' } satisfies ClosedLoopMessage);
    const started = performance.now();
    setTimeout(() => {
      measuring = false;
      stopping = true;
      const seconds = (performance.now() - started) / 1000;
      const result: ClosedLoopMessage = {
        type: 'result',
        replies: received,
        perS: received / seconds,
        p50Ms: rtt.count > 0 ? rtt.percentile(50) / 1000 : null,
        p99Ms: rtt.count > 0 ? rtt.percentile(99) / 1000 : null,
        maxMs: rtt.count > 0 ? rtt.max / 1000 : null,
        wrong,
        errors,
      };
      for (const close of sockets) close();
      process.send?.(result, () => process.exit(0));
    }, job.durationMs);
  }, job.warmupMs);
});
