/**
 * docs/protocol.md §8 `requests`: the HTTP requests a process served, timed from inside it —
 * from the request's arrival to the end of its response, whatever the client — through Node's
 * `diagnostics_channel` (`http.server.request.start`, `http.server.response.finish`), so no
 * server code changes. One implementation for both places it runs: the demo server calls it
 * directly, and attach installs its source text in a watched process (installed.ts), which is
 * why it imports nothing and reaches Node's modules only through `load`.
 *
 * A route is the method and the path without its query. At most MAX_ROUTES entries per window:
 * the first routes seen get one each, and the rest are summed as "other". Latencies go into
 * perf_hooks histograms (microseconds), so a window costs the same at 10 or 100,000 requests.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as perfHooks from 'node:perf_hooks';
import type { RequestStats } from '../../common/snapshot';

/** A window with no request in it. */
export const NO_REQUESTS: RequestStats = { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, routes: [] };

export interface RequestRecorder {
  /** The window since the previous take (or the start), and a new window opened. */
  take(): RequestStats;
  /** Unsubscribes: nothing of the recorder is left in the process. */
  remove(): void;
}

/** The little of node:http's channel messages, node:diagnostics_channel and perf_hooks it uses. */
interface ServerMessage {
  server: unknown;
  request: { method?: string; url?: string };
  response: object;
}
interface ChannelModule {
  subscribe(name: string, fn: (message: ServerMessage) => void): void;
  unsubscribe(name: string, fn: (message: ServerMessage) => void): void;
}
interface Histogram {
  count: number;
  max: number;
  percentile(p: number): number;
  record(value: number): void;
}
interface PerfModule {
  createHistogram(): Histogram;
  performance: { now(): number };
}

/**
 * `load` resolves a builtin module; `only`, when given, is the one server whose requests count
 * (the demo server shares its process with the dashboard's). Written as one self-contained
 * function: its source is what attach installs.
 */
export function requestRecorder(load: (id: string) => unknown, only: object | null): RequestRecorder {
  const MAX_ROUTES = 20;
  const dc = load('node:diagnostics_channel') as ChannelModule;
  const { createHistogram, performance } = load('node:perf_hooks') as PerfModule;
  const starts = new WeakMap<object, number>();
  let all = createHistogram();
  let routes = new Map<string, Histogram>();
  const us = (ms: number): number => Math.max(1, Math.round(ms * 1000));
  const ms = (value: number): number => Math.round(value / 10) / 100;
  const onStart = (m: ServerMessage): void => {
    if (only && m.server !== only) return;
    starts.set(m.response, performance.now());
  };
  const onFinish = (m: ServerMessage): void => {
    const began = starts.get(m.response);
    if (began === undefined) return;
    starts.delete(m.response);
    const took = us(performance.now() - began);
    all.record(took);
    const url = String(m.request.url || '/');
    const q = url.indexOf('?');
    let route = `${m.request.method} ${q < 0 ? url : url.slice(0, q)}`;
    if (!routes.has(route) && routes.size >= MAX_ROUTES - 1) route = 'other';
    let h = routes.get(route);
    if (!h) {
      h = createHistogram();
      routes.set(route, h);
    }
    h.record(took);
  };
  dc.subscribe('http.server.request.start', onStart);
  dc.subscribe('http.server.response.finish', onFinish);
  return {
    take(): RequestStats {
      const out: RequestStats = {
        count: all.count,
        p50Ms: all.count ? ms(all.percentile(50)) : 0,
        p99Ms: all.count ? ms(all.percentile(99)) : 0,
        maxMs: all.count ? ms(all.max) : 0,
        routes: [...routes.entries()]
          .map(([route, h]) => ({ route, count: h.count, p99Ms: ms(h.percentile(99)) }))
          .sort((a, b) => b.count - a.count),
      };
      all = createHistogram();
      routes = new Map();
      return out;
    },
    remove(): void {
      dc.unsubscribe('http.server.request.start', onStart);
      dc.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}

/**
 * The recorder's source as attach evaluates it in a target. `__name` is esbuild's keepNames
 * helper, which tsx's transform leaves in function bodies: defined here as the identity.
 */
export const REQUEST_RECORDER_SOURCE = `((__name) => (${requestRecorder.toString()}))((f) => f)`;

/** The recorder for a server of this process: the two modules it uses, imported as usual. */
export function recordRequestsOf(server: object): RequestRecorder {
  const modules: Record<string, unknown> = {
    'node:diagnostics_channel': diagnosticsChannel,
    'node:perf_hooks': perfHooks,
  };
  return requestRecorder((id) => modules[id], server);
}
