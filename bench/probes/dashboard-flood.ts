/**
 * Probe for the bridge's per-client queue cap (bench/README.md, "Hardening"): starts `serve` as a
 * real process, connects one bridge client with the token that never reads, sends it FRAMES
 * frames of an unknown command with a 60 KB name, and prints the server's RSS before and after,
 * and how the client was closed.
 *
 *   node --import tsx bench/probes/dashboard-flood.ts [FRAMES]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { unreadByServer } from '../../test/fixtures/raw-http';

const FRAMES = Number(process.argv[2] ?? 5000);
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'main/cli/index.ts', 'serve', '--port', '0', '--dashboard-port', '0'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const dashboardUrl = await new Promise<string>((resolve) =>
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const url = /dashboard: (\S+)/.exec(line)?.[1];
    if (url) resolve(url);
  }),
);
const page = new URL(dashboardUrl);
const ws = new WebSocket(`ws://${page.host}/bridge${page.search}`, { origin: page.origin });
await once(ws, 'open');
let code: number | null = null;
ws.on('close', (c) => (code = c));
const before = rssMb(child.pid!);
ws.pause();
const frame = JSON.stringify({ id: 1, name: 'x'.repeat(60 * 1024), payload: {} });
const started = Date.now();
for (let i = 0; i < FRAMES; i++) ws.send(frame);
await new Promise((resolve) => ws.send('{}', resolve));
while (unreadByServer(Number(page.port)) > 0 && Date.now() - started < 120_000) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const after = rssMb(child.pid!);
ws.resume();
const closeDeadline = Date.now() + 10_000;
while (code === null && Date.now() < closeDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
console.log(
  `${FRAMES} frames of 60 KB: server RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB; ` +
    `client closed with ${code ?? 'nothing within 10 s'}`,
);
ws.terminate();
child.kill('SIGTERM');
await once(child, 'exit');
