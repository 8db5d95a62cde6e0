/**
 * `npx tsx bench/mixed-hold.ts [--ws 70000] [--feed 10000] [--sse 10000] [--long-poll 10000]
 * [--publish-rate 10] [--hold-s 60] [--ramp 2500] [--out FILE.json]`: 100,000 concurrent
 * connections on this box (issue 22 item 1), held with a publisher running, checked three ways:
 *
 * - every gauge against the kernel: serve's open sockets (/stats) against `ss` on the server's
 *   port, and the clients each side counts per kind, sampled while holding;
 * - nothing lost on the feed: the publisher starts once every follower is connected, so each
 *   follower must receive every message published, once and in order;
 * - memory per connection, server and generator apart: RSS of serve's process tree and of the
 *   generator processes, before the connections and while holding them.
 *
 * The server is `serve --connections N`, the generator `load`'s own planning (main/load/capacity.ts):
 * the processes both choose under `ulimit -n` are the ones a user gets.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ClientKind, KindReport, LoadReport } from '../common/load';
import type { EngineSnapshot } from '../common/snapshot';
import {
  generatorPlanLine,
  planGenerator,
  planServer,
  readBoxLimits,
  serverPlanLine,
} from '../main/load/capacity';
import { AUTO_MAX_PROCESSES, startLoadGenerator } from '../main/load/controller';
import { rssOf, treeRss } from './proc-rss';
import { startServer } from './servers';

const { values } = parseArgs({
  options: {
    ws: { type: 'string', default: '70000' },
    feed: { type: 'string', default: '10000' },
    sse: { type: 'string', default: '10000' },
    'long-poll': { type: 'string', default: '10000' },
    'publish-rate': { type: 'string', default: '10' },
    'hold-s': { type: 'string', default: '60' },
    /** New clients per second per kind. */
    ramp: { type: 'string', default: '2500' },
    out: { type: 'string' },
  },
});
const COUNTS: Record<'ws-prime' | 'ws-feed' | 'sse' | 'long-poll', number> = {
  'ws-prime': Number(values.ws),
  'ws-feed': Number(values.feed),
  sse: Number(values.sse),
  'long-poll': Number(values['long-poll']),
};
const FEED_KINDS = ['ws-feed', 'sse', 'long-poll'] as const;
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);
const PUBLISH = Number(values['publish-rate']);
const HOLD_S = Number(values['hold-s']);
const RAMP = Number(values.ramp);
const CONNECT_MS = 15 * 60_000;
/** After the publisher stops: long polls and streams deliver what is on its way. */
const DRAIN_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const kind = (r: LoadReport | null, k: ClientKind): KindReport | undefined => r?.kinds[k];
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Established TCP sockets on loopback whose local (server side) or remote (client side) port is `port`. */
function ssCount(port: number): { server: number; client: number } {
  const out = execFileSync('ss', ['-Htn', 'state', 'established'], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  let server = 0;
  let client = 0;
  const suffix = `:${port}`;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    // Recv-Q Send-Q Local Peer (state is filtered, so not printed)
    if (cols[2]!.endsWith(suffix)) server++;
    if (cols[3]!.endsWith(suffix)) client++;
  }
  return { server, client };
}

async function stats(url: string): Promise<EngineSnapshot> {
  return (await (
    await fetch(`${url}/stats`, { signal: AbortSignal.timeout(30_000) })
  ).json()) as EngineSnapshot;
}

const box = readBoxLimits();
const serverPlan = planServer(TOTAL, null, box);
log(
  `box: ulimit -n ${box.fdLimit}, ${box.portsSource}, ${(box.memAvailableBytes / 2 ** 30).toFixed(1)} GB available, ${box.cores} cores; load ${loadavg()}`,
);
log(`serve: ${serverPlanLine(serverPlan, box)}`);
const server = await startServer('loopscope', { args: ['--connections', String(TOTAL)], startupMs: 180_000 });
const port = Number(new URL(server.url).port);
const genPlan = planGenerator(
  { connections: TOTAL + 64, processes: 'auto', autoMax: AUTO_MAX_PROCESSES, sourceAddresses: 16 },
  box,
);
log(`load: ${generatorPlanLine(genPlan, box)}`);
const lg = await startLoadGenerator({
  target: server.url,
  processes: 'auto',
  startProcesses: genPlan.processes,
  connectTimeoutMs: 60_000,
});
const result: Record<string, unknown> = {
  total: TOTAL,
  counts: COUNTS,
  publishPerS: PUBLISH,
  holdS: HOLD_S,
  ramp: RAMP,
};
try {
  await sleep(5_000); // the workers settle after start-up
  const serverRss0 = treeRss(server.pid);
  const genRss0 = rssOf(lg.pids());
  log(
    `before: serve tree ${mb(serverRss0)} MB, generators ${mb(genRss0)} MB (${lg.pids().length} processes)`,
  );

  const started = performance.now();
  for (const [k, count] of Object.entries(COUNTS) as [ClientKind, number][]) {
    if (count === 0) continue;
    await lg.command({
      type: 'spawn',
      kind: k,
      count,
      rampPerS: RAMP,
      ...(k === 'ws-prime' ? { options: { intervalMs: 0 } } : {}),
    });
  }
  const deadline = Date.now() + CONNECT_MS;
  let lastLog = 0;
  for (;;) {
    const r = lg.latest();
    const active = Object.keys(COUNTS).reduce((s, k) => s + (kind(r, k as ClientKind)?.active ?? 0), 0);
    const pending = Object.keys(COUNTS).reduce((s, k) => s + (kind(r, k as ClientKind)?.pending ?? 0), 0);
    if ((active >= TOTAL && pending === 0) || Date.now() > deadline) break;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`connecting: ${active} active, ${pending} pending; load ${loadavg()}`);
    }
    await sleep(500);
  }
  const connectS = (performance.now() - started) / 1000;
  result.connectS = connectS;
  log(`connected in ${connectS.toFixed(1)} s; publishing ${PUBLISH}/s, holding ${HOLD_S} s`);

  const seqStart = (await stats(server.url)).feed.lastSeq;
  const receivedStart = Object.fromEntries(FEED_KINDS.map((k) => [k, kind(lg.latest(), k)?.received ?? 0]));
  if (PUBLISH > 0) await lg.command({ type: 'publishRate', perS: PUBLISH });

  /** Each look: the kernel's count beside both sides' gauges, nearly at one moment. */
  const looks: Record<string, number>[] = [];
  const holdUntil = Date.now() + HOLD_S * 1000;
  let lowest = TOTAL;
  while (Date.now() < holdUntil) {
    await sleep(10_000);
    const snap = await stats(server.url);
    const ss = ssCount(port);
    const r = lg.latest();
    const active = Object.fromEntries(
      Object.keys(COUNTS).map((k) => [k, kind(r, k as ClientKind)?.active ?? 0]),
    );
    const look = {
      ssServer: ss.server,
      ssClient: ss.client,
      serverSocketsOpen: snap.sockets.open,
      serverWsPrime: snap.connections.wsPrime,
      serverWsFeed: snap.connections.wsFeed,
      serverSse: snap.connections.sse,
      serverLongPollHeld: snap.connections.longPoll,
      clientWsPrime: active['ws-prime']!,
      clientWsFeed: active['ws-feed']!,
      clientSse: active.sse!,
      clientLongPoll: active['long-poll']!,
    };
    looks.push(look);
    lowest = Math.min(
      lowest,
      Object.values(active).reduce((a, b) => a + b, 0),
    );
    log(JSON.stringify(look));
  }
  const serverRss1 = treeRss(server.pid);
  const genRss1 = rssOf(lg.pids());
  const connected = Object.keys(COUNTS).reduce(
    (s, k) => s + (kind(lg.latest(), k as ClientKind)?.active ?? 0),
    0,
  );

  if (PUBLISH > 0) await lg.command({ type: 'publishRate', perS: 0 });
  await sleep(DRAIN_MS);
  const seqEnd = (await stats(server.url)).feed.lastSeq;
  const published = seqEnd - seqStart;
  const final = await lg.finalReport(10_000);
  const feed = Object.fromEntries(
    FEED_KINDS.map((k) => {
      const kr = kind(final, k);
      const received = (kr?.received ?? 0) - receivedStart[k]!;
      return [
        k,
        {
          followers: COUNTS[k],
          expected: COUNTS[k] * published,
          received,
          ...kr?.integrity,
          deliveryP99Ms: kr?.cumulative?.delivery.p99Ms ?? null,
        },
      ];
    }),
  );
  const failures = Object.fromEntries(
    Object.keys(COUNTS).map((k) => [k, kind(final, k as ClientKind)?.failures ?? {}]),
  );
  Object.assign(result, {
    serverPlan: serverPlanLine(serverPlan, box),
    generatorPlan: generatorPlanLine(genPlan, box),
    generatorProcesses: final?.generator.processes ?? lg.pids().length,
    connected,
    lowestWhileHolding: lowest,
    looks,
    published,
    feed,
    failures,
    serverRssBefore: serverRss0,
    serverRssHolding: serverRss1,
    serverKbPerConnection: (serverRss1 - serverRss0) / connected / 1024,
    generatorRssBefore: genRss0,
    generatorRssHolding: genRss1,
    generatorKbPerConnection: (genRss1 - genRss0) / connected / 1024,
    generatorLoopP99Ms: final?.generator.eventLoopP99Ms ?? null,
    loadavg: loadavg(),
  });
  console.log(JSON.stringify(result, null, 2));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await lg.close();
  await server.stop();
}
