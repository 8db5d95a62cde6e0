/**
 * docs/protocol.md §12 `upstream`: how long this process waits on other servers, by origin, from
 * node:http's client channels (`http.client.request.start`, `http.client.response.finish`) and
 * undici's (`undici:request:create`, `…:headers`, `…:trailers`, `…:error`: what `fetch` uses).
 * A request's wait is from its start to its response (for fetch, its headers); it is in flight
 * until it ends either way.
 *
 * One self-contained function, as main/requests/recorder.ts is: the demo server calls it with
 * Node's modules, and attach installs its source text in a watched process.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as perfHooks from 'node:perf_hooks';

export interface OriginWindow {
  origin: string;
  count: number;
  p99Ms: number;
  /** Requests to it still waiting when the window closed. */
  inFlight: number;
}

export interface UpstreamTimer {
  /** Each origin waited on in the window since the last take, slowest first. */
  take(): OriginWindow[];
  /** Unsubscribes from every channel. */
  remove(): void;
}

interface ChannelModule {
  subscribe(name: string, fn: (message: unknown) => void): void;
  unsubscribe(name: string, fn: (message: unknown) => void): void;
}
interface Histogram {
  count: number;
  percentile(p: number): number;
  record(value: number): void;
}
interface PerfModule {
  createHistogram(): Histogram;
  performance: { now(): number };
}
interface ClientRequestLike {
  protocol?: string;
  host?: string;
  getHeader(name: string): unknown;
  once(event: 'close', fn: () => void): void;
}

/** `load` resolves a builtin module. Imports nothing: its source is what attach installs. */
export function upstreamTimer(load: (id: string) => unknown): UpstreamTimer {
  /** Origins kept a window: the rest are not told apart (a crawler's thousand hosts). */
  const MAX_ORIGINS = 20;
  const dc = load('node:diagnostics_channel') as ChannelModule;
  const { createHistogram, performance } = load('node:perf_hooks') as PerfModule;
  const started = new WeakMap<object, { origin: string; at: number }>();
  const inFlight = new Map<string, number>();
  let window = new Map<string, Histogram>();
  const subscriptions: [string, (m: unknown) => void][] = [];
  const on = (name: string, fn: (m: unknown) => void): void => {
    dc.subscribe(name, fn);
    subscriptions.push([name, fn]);
  };
  const begin = (request: object, origin: string): void => {
    started.set(request, { origin, at: performance.now() });
    inFlight.set(origin, (inFlight.get(origin) ?? 0) + 1);
  };
  const answered = (request: object): void => {
    const s = started.get(request);
    if (!s) return;
    let h = window.get(s.origin);
    if (!h) {
      if (window.size >= MAX_ORIGINS) return;
      h = createHistogram();
      window.set(s.origin, h);
    }
    h.record(Math.max(1, Math.round((performance.now() - s.at) * 1000)));
  };
  const end = (request: object): void => {
    const s = started.get(request);
    if (!s) return;
    started.delete(request);
    const n = (inFlight.get(s.origin) ?? 1) - 1;
    if (n > 0) inFlight.set(s.origin, n);
    else inFlight.delete(s.origin);
  };
  const requestOf = (m: unknown): object => (m as { request: object }).request;
  on('http.client.request.start', (m) => {
    const request = requestOf(m) as ClientRequestLike;
    const host = request.getHeader('host') ?? request.host;
    begin(request, `${request.protocol ?? 'http:'}//${String(host)}`);
    request.once('close', () => end(request));
  });
  on('http.client.response.finish', (m) => answered(requestOf(m)));
  on('undici:request:create', (m) => {
    const request = requestOf(m) as { origin?: unknown };
    if (request.origin) begin(request, String(request.origin).replace(/\/$/, ''));
  });
  on('undici:request:headers', (m) => answered(requestOf(m)));
  on('undici:request:trailers', (m) => end(requestOf(m)));
  on('undici:request:error', (m) => end(requestOf(m)));
  return {
    take(): OriginWindow[] {
      const out = [...window.entries()].map(([origin, h]) => ({
        origin,
        count: h.count,
        p99Ms: Math.round(h.percentile(99) / 10) / 100,
        inFlight: inFlight.get(origin) ?? 0,
      }));
      for (const [origin, n] of inFlight)
        if (n > 0 && !window.has(origin)) out.push({ origin, count: 0, p99Ms: 0, inFlight: n });
      window = new Map();
      return out.sort((a, b) => b.p99Ms - a.p99Ms);
    },
    remove(): void {
      for (const [name, fn] of subscriptions) dc.unsubscribe(name, fn);
    },
  };
}

/** The timer's source as attach evaluates it (see REQUEST_RECORDER_SOURCE for `__name`). */
export const UPSTREAM_TIMER_SOURCE = `((__name) => (${upstreamTimer.toString()}))((f) => f)`;

/** The timer for this process, with its modules imported as usual. */
export function timeUpstreams(): UpstreamTimer {
  const modules: Record<string, unknown> = {
    'node:diagnostics_channel': diagnosticsChannel,
    'node:perf_hooks': perfHooks,
  };
  return upstreamTimer((id) => modules[id]);
}
