/**
 * `npx tsx bench/heap-diff-worker.ts --url http://127.0.0.1:PORT --first-s 180 --second-s 780 --dir D`:
 * two heap snapshots of one `serve --workers` worker (the first listed by /stats), taken over its
 * inspector (opened with SIGUSR1, the way attach opens one) at the two times, for a diff of what
 * the heap kept (bench/heap-diff.py). Issue 22 item 4: a worker's RSS grew ~1 MB a minute.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'first-s': { type: 'string', default: '180' },
    'second-s': { type: 'string', default: '780' },
    dir: { type: 'string', default: '/tmp' },
    port: { type: 'string', default: '9229' },
  },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (await (await fetch(`${values.url}/stats`)).json()) as { workers: { pid: number }[] };
const pid = stats.workers[0]!.pid;
process.kill(pid, 'SIGUSR1');
await sleep(1000);
const list = (await (await fetch(`http://127.0.0.1:${values.port}/json/list`)).json()) as {
  webSocketDebuggerUrl: string;
}[];
const ws = new WebSocket(list[0]!.webSocketDebuggerUrl, { maxPayload: 2 ** 30 });
await new Promise((r) => ws.once('open', r));
let id = 0;
const chunks: string[] = [];
const pending = new Map<number, () => void>();
ws.on('message', (raw) => {
  const m = JSON.parse(raw.toString()) as { id?: number; method?: string; params?: { chunk: string } };
  if (m.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(m.params!.chunk);
  if (m.id !== undefined) pending.get(m.id)?.();
});
const send = (method: string, params = {}) =>
  new Promise<void>((resolve) => {
    const n = ++id;
    pending.set(n, resolve);
    ws.send(JSON.stringify({ id: n, method, params }));
  });
const { writeFileSync } = await import('node:fs');
const started = Date.now();
for (const [name, atS] of [
  ['first', Number(values['first-s'])],
  ['second', Number(values['second-s'])],
] as const) {
  await sleep(Math.max(0, atS * 1000 - (Date.now() - started)));
  chunks.length = 0;
  await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  const file = join(values.dir!, `worker-${pid}-${name}.heapsnapshot`);
  writeFileSync(file, chunks.join(''));
  console.error(`${new Date().toISOString()} ${file}`);
}
ws.close();
