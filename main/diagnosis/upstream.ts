/**
 * docs/protocol.md §12 `upstream`: how long this process waits on other servers, by origin, from
 * node:http's client channels (`http.client.request.start`, `http.client.response.finish`) and
 * undici's (`undici:request:create`, `…:headers`, `…:trailers`, `…:error`: what `fetch` uses).
 * A request's wait is from its start to its response (for fetch, its headers); it is in flight
 * until it ends either way.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

export interface OriginWindow {
  origin: string;
  count: number;
  p99Ms: number;
  /** Requests to it still waiting when the window closed. */
  inFlight: number;
}

/** Origins kept a window: the rest are not told apart (a crawler's thousand hosts). */
const MAX_ORIGINS = 20;

interface UndiciRequest {
  origin?: string | URL;
}

export class UpstreamTimer {
  private readonly started = new WeakMap<object, { origin: string; at: number }>();
  private readonly inFlight = new Map<string, number>();
  private window = new Map<string, RecordableHistogram>();
  private readonly subscriptions: [string, (m: unknown) => void][] = [];

  constructor() {
    this.on('http.client.request.start', (m) => {
      const request = (m as { request: ClientRequest }).request;
      const host = request.getHeader('host') ?? request.host;
      this.begin(request, `${request.protocol}//${String(host)}`);
      request.once('close', () => this.end(request));
    });
    this.on('http.client.response.finish', (m) => this.answered((m as { request: object }).request));
    this.on('undici:request:create', (m) => {
      const request = (m as { request: UndiciRequest }).request;
      if (request.origin) this.begin(request, String(request.origin).replace(/\/$/, ''));
    });
    this.on('undici:request:headers', (m) => this.answered((m as { request: object }).request));
    this.on('undici:request:trailers', (m) => this.end((m as { request: object }).request));
    this.on('undici:request:error', (m) => this.end((m as { request: object }).request));
  }

  /** Each origin waited on in the window since the last take, slowest first. */
  take(): OriginWindow[] {
    const out = [...this.window.entries()].map(([origin, h]) => ({
      origin,
      count: h.count,
      p99Ms: Math.round(h.percentile(99) / 10) / 100,
      inFlight: this.inFlight.get(origin) ?? 0,
    }));
    for (const [origin, n] of this.inFlight)
      if (n > 0 && !this.window.has(origin)) out.push({ origin, count: 0, p99Ms: 0, inFlight: n });
    this.window = new Map();
    return out.sort((a, b) => b.p99Ms - a.p99Ms);
  }

  close(): void {
    for (const [name, fn] of this.subscriptions) diagnostics.unsubscribe(name, fn);
  }

  private on(name: string, fn: (m: unknown) => void): void {
    diagnostics.subscribe(name, fn);
    this.subscriptions.push([name, fn]);
  }

  private begin(request: object, origin: string): void {
    this.started.set(request, { origin, at: performance.now() });
    this.inFlight.set(origin, (this.inFlight.get(origin) ?? 0) + 1);
  }

  private answered(request: object): void {
    const s = this.started.get(request);
    if (!s) return;
    let h = this.window.get(s.origin);
    if (!h) {
      if (this.window.size >= MAX_ORIGINS) return;
      h = createHistogram();
      this.window.set(s.origin, h);
    }
    h.record(Math.max(1, Math.round((performance.now() - s.at) * 1000)));
  }

  private end(request: object): void {
    const s = this.started.get(request);
    if (!s) return;
    this.started.delete(request);
    const n = (this.inFlight.get(s.origin) ?? 1) - 1;
    if (n > 0) this.inFlight.set(s.origin, n);
    else this.inFlight.delete(s.origin);
  }
}
