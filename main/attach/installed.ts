/**
 * What attach installs in the watched process, as fixed source text evaluated there with
 * `Runtime.evaluate`. Nothing a user typed is ever evaluated: these strings are the only code
 * attach runs in a target.
 *
 * The sampler is one object under a registry symbol on globalThis, so a second attach finds it
 * and detach removes it whole:
 * - loop delay: an unref'd 10 ms interval records how late it fires into an HDR histogram,
 *   stalls counted as every tick they swallowed (as main/engine/metrics/loop-delay.ts does for
 *   the hosted server);
 * - `probe()`: a promise resolved from setImmediate with the target's monotonic clock in µs, and
 *   the time of the interval's latest tick. It answers only when the loop turns, which is how
 *   attach sees a stall from outside; the tick bounds when the stall began, whatever delayed the
 *   probe on its way here;
 * - `read()`: the window since the previous read (delay, utilization, heap, handles by type, and
 *   the HTTP requests its servers answered: main/requests/recorder.ts, whose source is inlined);
 *   with `diagnose`, also docs/protocol.md §12's figures: the upstreams it waited on
 *   (main/diagnosis/upstream.ts) and its collections, heap, threadpool and CPU
 *   (main/diagnosis/wait-probes.ts), both inlined the same way.
 *
 * The registry names its owner (the attach process's pid): a second attach finds it and is told
 * who watches (watcher.ts refuses, or takes over from an owner that is gone). When the target runs
 * Loopscope's own stall explorer (main/stalls/published.ts), the sampler holds it and passes its
 * stalls on (`stalls(afterId)`): attach then pauses and profiles nothing itself.
 *
 * Builtins come from `process.getBuiltinModule` (ESM targets have no `require` in the global
 * scope), else from the console's `require` (evaluated with includeCommandLineAPI).
 */

import { UPSTREAM_TIMER_SOURCE } from '../diagnosis/upstream';
import { WAIT_PROBES_SOURCE } from '../diagnosis/wait-probes';
import { REQUEST_RECORDER_SOURCE } from '../requests/recorder';
import { PUBLISHED_KEY } from '../stalls/published';

export const REGISTRY_KEY = 'loopscope.attach';
/** Names attach's own scripts in the target's stacks, so a pause that lands in them names nothing. */
const TAG = '\n//# sourceURL=loopscope-attach://installed.js\n';

export interface InstallResult {
  /** The target's Node version. */
  version: string;
  /** The target runs Loopscope's stall explorer, and the sampler holds it. */
  explorer: boolean;
  /** Another attach's sampler is installed: its owner pid and since when (epoch ms). */
  busy: { owner: number; since: number } | null;
}

/**
 * Installs the sampler for attach process `owner`, watching stalls from `stallMs`; replaces the
 * sampler of `takeOverFrom` (an owner found gone), and refuses (`busy`) any other's. The three
 * numbers are checked integers and `diagnose` a boolean, the only values ever put into this text.
 */
export function installScript(
  owner: number,
  stallMs: number,
  takeOverFrom: number | null,
  diagnose = true,
): string {
  for (const n of [owner, stallMs, takeOverFrom ?? 0])
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`installScript: not a count: ${n}`);
  const withDiagnosis = diagnose === true;
  return `(() => {
  const KEY = Symbol.for(${JSON.stringify(REGISTRY_KEY)});
  const OWNER = ${owner};
  const existing = globalThis[KEY];
  if (existing) {
    if ((existing.owner || 0) !== ${takeOverFrom ?? -1}) {
      return { version: process.version, explorer: false, busy: { owner: existing.owner || 0, since: existing.since || 0 } };
    }
    existing.remove();
  }
  const load = typeof process.getBuiltinModule === 'function'
    ? (id) => process.getBuiltinModule(id)
    : (id) => require(id);
  const { createHistogram, performance } = load('node:perf_hooks');
  // Every node:http server's requests, timed from inside (docs/protocol.md §8).
  const requests = (${REQUEST_RECORDER_SOURCE})(load, null);
  // Why its clients wait (docs/protocol.md §12).
  const upstream = ${withDiagnosis} ? (${UPSTREAM_TIMER_SOURCE})(load) : null;
  const waits = ${withDiagnosis} ? (${WAIT_PROBES_SOURCE})(load) : null;
  const RES = 10;
  const h = createHistogram();
  let last = performance.now();
  const hr = () => Number(process.hrtime.bigint() / 1000n);
  let lastTickUs = hr();
  const tick = (timer) => {
    const now = performance.now();
    if (timer) lastTickUs = hr();
    let late = now - last - RES;
    h.record(Math.max(1, Math.round(late * 1e6)));
    while (late > RES) { late -= RES; h.record(Math.max(1, Math.round(late * 1e6))); }
    last = now;
  };
  const timer = setInterval(tick, RES, true);
  timer.unref();
  let elu = performance.eventLoopUtilization();
  let probes = 0;
  const published = globalThis[Symbol.for(${JSON.stringify(PUBLISHED_KEY)})];
  const explorer = published && published.version === 1 ? published : null;
  if (explorer) explorer.hold(${stallMs});
  globalThis[KEY] = {
    owner: OWNER,
    since: Date.now(),
    probe() {
      probes++;
      return new Promise((resolve) => setImmediate(() => {
        probes--;
        resolve([hr(), lastTickUs]);
      }));
    },
    stalls(afterId) {
      return explorer ? explorer.next(afterId) : Promise.resolve([]);
    },
    read() {
      if (explorer) explorer.hold(${stallMs});
      tick(false);
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      const next = performance.eventLoopUtilization();
      const u = performance.eventLoopUtilization(next, elu).utilization;
      elu = next;
      const handles = {};
      for (const name of process.getActiveResourcesInfo()) handles[name] = (handles[name] || 0) + 1;
      if (probes > 0 && handles.Immediate) handles.Immediate -= Math.min(probes, handles.Immediate);
      const out = {
        time: Date.now(),
        p50: h.count ? ms(h.percentile(50)) : 0,
        p99: h.count ? ms(h.percentile(99)) : 0,
        max: h.count ? ms(h.max) : 0,
        utilization: Math.round(u * 1000) / 1000,
        heapUsedBytes: process.memoryUsage().heapUsed,
        handles,
        requests: requests.take(),
        upstream: upstream ? upstream.take() : null,
        waits: waits ? waits.take() : null,
      };
      h.reset();
      return out;
    },
    remove() {
      clearInterval(timer);
      requests.remove();
      if (upstream) upstream.remove();
      if (waits) waits.remove();
      h.reset();
      if (explorer) {
        explorer.release();
        explorer.cancel();
      }
      delete globalThis[KEY];
    },
  };
  return { version: process.version, explorer: !!explorer, busy: null };
})()${TAG}`;
}

export const PROBE = `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})].probe()${TAG}`;
export const READ = `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})].read()${TAG}`;
/** The explorer's stalls after `afterId` (a checked integer): awaited until there is one. */
export function stallsScript(afterId: number): string {
  if (!Number.isSafeInteger(afterId) || afterId < 0) throw new Error(`stallsScript: not an id: ${afterId}`);
  return `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})].stalls(${afterId})${TAG}`;
}
/** Removes the sampler of `owner` (a checked integer), and only its: another attach's stays. */
export function removeScript(owner: number): string {
  if (!Number.isSafeInteger(owner) || owner < 0) throw new Error(`removeScript: not a pid: ${owner}`);
  return `(() => { const s = globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})]; if (!s || s.owner !== ${owner}) return false; s.remove(); return true; })()${TAG}`;
}

/**
 * Closes the inspector attach opened. Deferred to the next turn of the loop: inspector.close()
 * closes every session, this one included, so its reply would never arrive.
 */
export const CLOSE_INSPECTOR = `(() => {
  const load = typeof process.getBuiltinModule === 'function'
    ? (id) => process.getBuiltinModule(id)
    : (id) => require(id);
  setImmediate(() => load('node:inspector').close());
  return true;
})()${TAG}`;
