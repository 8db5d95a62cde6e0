/**
 * `npx tsx bench/mixed-hold.ts [--ws 70000] [--feed 10000] [--sse 10000] [--long-poll 10000]
 * [--publish-rate 10] [--rest-s 20] [--hold-s 30] [--ramp 2500] [--out FILE.json]`: 100,000
 * concurrent connections on this box (issue 22 item 1), checked three ways:
 *
 * - every gauge against the kernel: serve's open sockets and connections by kind (/stats) against
 *   `ss` on the server's port and the clients the generator counts, at rest (all connected,
 *   nothing published) and while the publisher runs;
 * - nothing lost on the feed: the publisher runs --hold-s seconds once every follower is
 *   connected, then stops; each follower must then receive every message published, once and in
 *   order (the run waits up to 15 minutes for deliveries still on their way);
 * - memory per connection, server and generator apart: RSS of serve's process tree and of the
 *   generator processes, before the connections and at rest with all of them open.
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
    'rest-s': { type: 'string', default: '20' },
    /** Seconds the publisher runs. */
    'hold-s': { type: 'string', default: '30' },
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
/** After the publisher stops: at most this long for what is on its way to arrive. */
const DRAIN_MS = 15 * 60_000;
/** Seconds held at rest, all connected and nothing published, before the publisher starts. */
const REST_S = Number(values['rest-s']);
const STATS_TIMEOUT_MS = 120_000;
/** The drain gives up after this long without a single delivery. */
const STUCK_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const kind = (r: LoadReport | null, k: ClientKind): KindReport | undefined => r?.kinds[k];
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * Established TCP sockets of the server at `address` (HOST:PORT): its side (local address equal) and
 * the clients' (peer address equal). By port alone a client socket counts twice whenever its own
 * ephemeral port happens to equal the server's, on another source address: 13 of 100,000 did.
 */
function ssCount(address: string): { server: number; client: number } {
  const out = execFileSync('ss', ['-Htn', 'state', 'established'], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  let server = 0;
  let client = 0;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    // Recv-Q Send-Q Local Peer (state is filtered, so not printed)
    if (cols[2] === address) server++;
    if (cols[3] === address) client++;
  }
  return { server, client };
}

/** serve's /stats, or null when a saturated server does not answer within STATS_TIMEOUT_MS. */
async function stats(url: string): Promise<EngineSnapshot | null> {
  try {
    const res = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
    return (await res.json()) as EngineSnapshot;
  } catch (err) {
    log(`/stats: ${String(err)}`);
    return null;
  }
}

const box = readBoxLimits();
const serverPlan = planServer(TOTAL, null, box);
log(
  `box: ulimit -n ${box.fdLimit}, ${box.portsSource}, ${(box.memAvailableBytes / 2 ** 30).toFixed(1)} GB available, ${box.cores} cores; load ${loadavg()}`,
);
log(`serve: ${serverPlanLine(serverPlan, box)}`);
const server = await startServer('loopscope', { args: ['--connections', String(TOTAL)], startupMs: 180_000 });
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
  log(
    `connected in ${connectS.toFixed(1)} s; at rest ${REST_S} s, then publishing ${PUBLISH}/s for ${HOLD_S} s`,
  );

  /** Each look: the kernel's count beside both sides' gauges, nearly at one moment. */
  const look = async (phase: string): Promise<Record<string, number | string> | null> => {
    const snap = await stats(server.url);
    if (!snap) return null;
    const ss = ssCount(new URL(server.url).host);
    const r = lg.latest();
    const active = (k: ClientKind) => kind(r, k)?.active ?? 0;
    const seen = {
      phase,
      ssServer: ss.server,
      ssClient: ss.client,
      serverSocketsOpen: snap.sockets.open,
      serverWsPrime: snap.connections.wsPrime,
      serverWsFeed: snap.connections.wsFeed,
      serverSse: snap.connections.sse,
      serverLongPollHeld: snap.connections.longPoll,
      clientWsPrime: active('ws-prime'),
      clientWsFeed: active('ws-feed'),
      clientSse: active('sse'),
      clientLongPoll: active('long-poll'),
      serverLoopP99Ms: snap.eventLoop.p99Ms,
      generatorLoopP99Ms: r?.generator.eventLoopP99Ms ?? -1,
      feedReceivedPerS: Math.round(FEED_KINDS.reduce((sum, k) => sum + (kind(r, k)?.receivedPerS ?? 0), 0)),
      deliveryP99Ms: Math.max(...FEED_KINDS.map((k) => kind(r, k)?.delivery.p99Ms ?? 0)),
    };
    looks.push(seen);
    log(JSON.stringify(seen));
    return seen;
  };
  const looks: Record<string, number | string>[] = [];
  const activeNow = () =>
    Object.keys(COUNTS).reduce((s, k) => s + (kind(lg.latest(), k as ClientKind)?.active ?? 0), 0);

  // At rest: every connection open, nothing moving; the gauges must equal the kernel's count.
  for (let i = 0; i < REST_S / 10; i++) {
    await sleep(10_000);
    await look('rest');
  }
  const serverRss1 = treeRss(server.pid);
  const genRss1 = rssOf(lg.pids());
  const connected = activeNow();
  log(`at rest: serve tree ${mb(serverRss1)} MB, generators ${mb(genRss1)} MB, ${connected} connected`);

  const seqStart = (await stats(server.url))?.feed.lastSeq ?? NaN;
  const receivedStart = Object.fromEntries(FEED_KINDS.map((k) => [k, kind(lg.latest(), k)?.received ?? 0]));
  if (PUBLISH > 0) await lg.command({ type: 'publishRate', perS: PUBLISH });
  let lowest = activeNow();
  const holdUntil = Date.now() + HOLD_S * 1000;
  while (Date.now() < holdUntil) {
    await sleep(10_000);
    lowest = Math.min(lowest, activeNow());
    await look('publishing');
  }
  if (PUBLISH > 0) await lg.command({ type: 'publishRate', perS: 0 });
  const publishedAt = Date.now();
  // Publishes the generator had in flight when told to stop still land: the count is read again
  // on every look below, until nothing is behind.
  let published = 0;
  const receivedNow = (k: (typeof FEED_KINDS)[number]) =>
    (kind(lg.latest(), k)?.received ?? 0) - receivedStart[k]!;
  // Until every follower has every message, DRAIN_MS, or a minute without a delivery: a saturated
  // box delivers late, not never; a follower that no longer receives is a finding, not a wait.
  let lastBehind = Infinity;
  let progressAt = Date.now();
  for (;;) {
    published = ((await stats(server.url))?.feed.lastSeq ?? seqStart) - seqStart;
    const behind = FEED_KINDS.reduce(
      (sum, k) => sum + Math.max(0, COUNTS[k] * published - receivedNow(k)),
      0,
    );
    lowest = Math.min(lowest, activeNow());
    if (behind < lastBehind) progressAt = Date.now();
    lastBehind = behind;
    if (behind === 0 || Date.now() - publishedAt > DRAIN_MS || Date.now() - progressAt > STUCK_MS) break;
    const r = lg.latest();
    const perKind = FEED_KINDS.map(
      (k) => `${k} ${kind(r, k)?.active ?? 0} up ${JSON.stringify(kind(r, k)?.failures ?? {})}`,
    ).join(', ');
    log(`draining: ${behind} deliveries on their way; ${perKind}; load ${loadavg()}`);
    await sleep(10_000);
  }
  const drainS = (Date.now() - publishedAt) / 1000;
  await look('drained');
  const final = await lg.finalReport(30_000);
  const feed = Object.fromEntries(
    FEED_KINDS.map((k) => {
      const kr = kind(final, k);
      return [
        k,
        {
          followers: COUNTS[k],
          expected: COUNTS[k] * published,
          received: (kr?.received ?? 0) - receivedStart[k]!,
          ...kr?.integrity,
          deliveryP50Ms: kr?.cumulative?.delivery.p50Ms ?? null,
          deliveryP99Ms: kr?.cumulative?.delivery.p99Ms ?? null,
        },
      ];
    }),
  );
  result.drainS = drainS;
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
    serverRssAtRest: serverRss1,
    serverKbPerConnection: (serverRss1 - serverRss0) / connected / 1024,
    generatorRssBefore: genRss0,
    generatorRssAtRest: genRss1,
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
