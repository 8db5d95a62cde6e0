/**
 * The shared engine of request/response kinds (http, publisher, job-producer): N virtual users,
 * each firing one request every intervalMs, plus an optional aggregate rate sender. Open model: a
 * request goes out when it is due even if the previous one is still waiting, and latency counts
 * from the due time (no coordinated omission). One timer per kind drives every user.
 */
import http from 'node:http';
import type { ClientKind, KindOptions } from '../../../common/load';
import { DueQueue } from './due-queue';
import { STOP_GRACE_MS, type KindDriver } from './kind-driver';
import { Ramp } from './ramp';
import { KindStats, causeOf } from './stats';
import { SourceAddresses, type Target } from './target';

/** Sockets one kind may hold at once; beyond that requests wait in the agent (and their latency shows it). */
export const MAX_SOCKETS_PER_KIND = 1024;
/** Requests in flight before due sends are skipped (counted as skipped_backlog). */
const MAX_IN_FLIGHT = 4 * MAX_SOCKETS_PER_KIND;
const MAX_REPLY_BYTES = 1024 * 1024;
export const KEEP_ALIVE_IDLE_MS = 4000;
const MAX_SENDS_PER_TICK = 2000;
const RAMP_TICK_MS = 20;

interface Sender {
  stopped: boolean;
  intervalMs: number;
  localAddress: string | undefined;
  /** The aggregate rate sender (publishRate / jobRate) rather than a spawned user. */
  rate: boolean;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
  expectStatus: number;
}

export abstract class RequestKind implements KindDriver {
  readonly stats: KindStats;
  protected intervalMs = 1000;
  private target: Target;
  private sources: SourceAddresses;
  private agent = newAgent();
  private readonly users: Sender[] = [];
  private rateSender: Sender | null = null;
  private readonly ramp = new Ramp();
  private readonly schedule = new DueQueue<Sender>();
  private timer: NodeJS.Timeout | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(
    readonly kind: ClientKind,
    target: Target,
  ) {
    this.stats = new KindStats(kind);
    this.target = target;
    this.sources = new SourceAddresses(target);
  }

  /** The request a spawned user (rate = false) or the rate sender (rate = true) makes next. */
  protected abstract request(rate: boolean): RequestSpec;
  abstract configure(options: KindOptions): void;

  spawn(count: number, rampPerS: number, options: KindOptions | undefined): void {
    if (options) this.configure(options);
    this.ramp.add(count, rampPerS);
    this.startQueued();
  }

  stop(count: number): void {
    const left = count - this.ramp.remove(count);
    // Oldest first; one splice rather than a shift per user (stopping 10,000 must not be quadratic).
    for (const user of this.users.splice(0, Math.max(0, left))) {
      user.stopped = true;
      this.stats.closed++;
    }
    this.checkIdle();
  }

  stopAll(): Promise<void> {
    this.stop(this.ramp.queued + this.users.length);
    this.setRate(0);
    if (this.inFlight === 0) {
      this.checkIdle();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const grace = setTimeout(() => this.agent.destroy(), STOP_GRACE_MS);
      this.drainWaiters.push(() => {
        clearTimeout(grace);
        resolve();
      });
    });
  }

  /** Runs the aggregate sender at perS requests per second (0 stops it). */
  setRate(perS: number): void {
    if (this.rateSender) this.rateSender.stopped = true;
    this.rateSender = null;
    if (perS > 0) {
      const sender: Sender = {
        stopped: false,
        intervalMs: 1000 / perS,
        localAddress: this.sources.take(),
        rate: true,
      };
      this.rateSender = sender;
      this.schedule.push(performance.now(), sender);
      this.arm();
    }
    this.checkIdle();
  }

  setTarget(target: Target): void {
    this.target = target;
    this.sources = new SourceAddresses(target);
  }

  fdDemand(): number {
    return Math.min(MAX_SOCKETS_PER_KIND, this.users.length + this.ramp.queued + (this.rateSender ? 1 : 0));
  }

  /** Spawned users running, plus the rate sender when one is set. */
  active(): number {
    return this.users.length + (this.rateSender ? 1 : 0);
  }

  pending(): number {
    return this.ramp.queued;
  }

  private startQueued(): void {
    const n = this.ramp.take(Number.MAX_SAFE_INTEGER);
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      const user: Sender = {
        stopped: false,
        intervalMs: this.intervalMs,
        localAddress: this.sources.take(),
        rate: false,
      };
      this.users.push(user);
      this.stats.opened++;
      this.schedule.push(now + Math.random() * this.intervalMs, user);
    }
    if (n > 0) this.arm();
    if (this.ramp.queued > 0 && this.rampTimer === null) {
      this.rampTimer = setInterval(() => this.startQueued(), RAMP_TICK_MS);
    } else if (this.ramp.queued === 0 && this.rampTimer !== null) {
      clearInterval(this.rampTimer);
      this.rampTimer = null;
    }
  }

  private arm(): void {
    if (this.timer !== null) return;
    const next = this.schedule.peekDue();
    if (next === undefined) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
  }

  private tick(): void {
    this.timer = null;
    const now = performance.now();
    for (let sent = 0; sent < MAX_SENDS_PER_TICK; sent++) {
      const entry = this.schedule.popDue(now);
      if (!entry) break;
      const sender = entry.item;
      if (sender.stopped) continue;
      // Users pick up a changed interval at their next send.
      if (!sender.rate) sender.intervalMs = this.intervalMs;
      this.schedule.push(entry.due + sender.intervalMs, sender);
      this.send(entry.due, sender);
    }
    this.arm();
  }

  private send(due: number, sender: Sender, retry = true): void {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.stats.fail('skipped_backlog');
      return;
    }
    const spec = this.request(sender.rate);
    const headers: http.OutgoingHttpHeaders = {};
    if (spec.body !== undefined) {
      headers['content-type'] = spec.contentType ?? 'text/plain; charset=utf-8';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    this.inFlight++;
    this.stats.sent++;
    let done = false;
    const finish = (cause: string | null): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (cause === null) {
        this.stats.received++;
        this.stats.recordRtt(performance.now() - due);
      } else {
        this.stats.fail(cause);
      }
      if (this.inFlight === 0) this.checkIdle();
    };
    const req = http.request({
      host: this.target.hostname,
      port: this.target.port,
      path: `${this.target.basePath}${spec.path}`,
      method: spec.method,
      agent: this.agent,
      localAddress: sender.localAddress,
      headers,
    });
    req.on('error', (err) => {
      // The server closed a reused keep-alive socket just as we sent: an idempotent GET is simply
      // sent again (as Node's docs advise); the latency still counts from the original due time.
      if (retry && spec.method === 'GET' && req.reusedSocket && causeOf(err) === 'ECONNRESET' && !done) {
        done = true;
        this.inFlight--;
        this.stats.sent--;
        this.send(due, sender, false);
        return;
      }
      finish(causeOf(err));
    });
    req.on('response', (res) => {
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) {
          finish('body_too_large');
          req.destroy();
        }
      });
      res.on('error', (err) => finish(causeOf(err)));
      res.on('end', () =>
        finish(res.statusCode === spec.expectStatus ? null : `http_${res.statusCode ?? 0}`),
      );
    });
    req.end(spec.body);
  }

  private checkIdle(): void {
    if (this.inFlight > 0) return;
    if (this.users.length === 0 && this.ramp.queued === 0 && this.rateSender === null) {
      // Idle keep-alive sockets would keep the server's connection gauge above zero.
      this.agent.destroy();
      this.agent = newAgent();
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

function newAgent(): http.Agent {
  // timeout: idle keep-alive sockets are dropped before a Node server's default 5 s keepAliveTimeout,
  // so a request is not sent on a socket the server is closing (ECONNRESET). Node only honours the
  // server's Keep-Alive hint when it is below the agent's own timeout, hence setting one at all.
  return new http.Agent({
    keepAlive: true,
    maxTotalSockets: MAX_SOCKETS_PER_KIND,
    timeout: KEEP_ALIVE_IDLE_MS,
  });
}
