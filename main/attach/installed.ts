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
 * - `read()`: the window since the previous read (delay, utilization, heap, handles by type).
 *
 * Builtins come from `process.getBuiltinModule` (ESM targets have no `require` in the global
 * scope), else from the console's `require` (evaluated with includeCommandLineAPI).
 */

export const REGISTRY_KEY = 'loopscope.attach';
/** Names attach's own scripts in the target's stacks, so a pause that lands in them names nothing. */
const TAG = '\n//# sourceURL=loopscope-attach://installed.js\n';

/** Installs the sampler; returns the target's Node version. Idempotent. */
export const INSTALL = `(() => {
  const KEY = Symbol.for(${JSON.stringify(REGISTRY_KEY)});
  if (globalThis[KEY]) return process.version;
  const load = typeof process.getBuiltinModule === 'function'
    ? (id) => process.getBuiltinModule(id)
    : (id) => require(id);
  const { createHistogram, performance } = load('node:perf_hooks');
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
  globalThis[KEY] = {
    probe() {
      probes++;
      return new Promise((resolve) => setImmediate(() => {
        probes--;
        resolve([hr(), lastTickUs]);
      }));
    },
    read() {
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
      };
      h.reset();
      return out;
    },
    remove() {
      clearInterval(timer);
      h.reset();
      delete globalThis[KEY];
    },
  };
  return process.version;
})()${TAG}`;

export const PROBE = `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})].probe()${TAG}`;
export const READ = `globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})].read()${TAG}`;
export const REMOVE = `(() => { const s = globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY)})]; if (s) s.remove(); return !!s; })()${TAG}`;

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
