/**
 * Probe for the heartbeat (bench/README.md, "Hardening"): an engine with a short ping period,
 * then (1) how often one healthy socket is pinged, (2) when COUNT peers that never answer a ping
 * (`autoPong: false`, a frozen peer as the server sees it) are dropped, measured from their open.
 *
 *   node --import tsx bench/probes/heartbeat.ts [PERIOD_MS] [COUNT]
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { createEngine } from '../../main/engine/engine';

const PERIOD_MS = Number(process.argv[2] ?? 600);
const COUNT = Number(process.argv[3] ?? 300);
const engine = await createEngine({ port: 0, heartbeatMs: PERIOD_MS, sampler: false });
const url = engine.url.replace(/^http/, 'ws') + '/ws/prime';

const healthy = new WebSocket(url);
await once(healthy, 'open');
const pings: number[] = [];
healthy.on('ping', () => pings.push(performance.now()));
const started = performance.now();
while (pings.length < 6 && performance.now() - started < 20 * PERIOD_MS) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
console.log(
  `one healthy socket, period ${PERIOD_MS} ms: ${pings.length} pings in ${(performance.now() - started).toFixed(0)} ms; ` +
    `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`,
);
healthy.close();

const silent = await Promise.all(
  Array.from({ length: COUNT }, async () => {
    const ws = new WebSocket(url, { autoPong: false });
    await once(ws, 'open');
    const opened = performance.now();
    return new Promise<number>((resolve) => ws.once('close', () => resolve(performance.now() - opened)));
  }),
);
const sorted = silent.sort((a, b) => a - b);
const at = (q: number) =>
  (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / PERIOD_MS).toFixed(2);
console.log(
  `${COUNT} silent peers dropped after (in periods): min ${at(0)}, median ${at(0.5)}, max ${at(1)}`,
);
await engine.close();
