/**
 * One generator process's clients: a driver per kind, the fd budget, and the periodic report.
 * Runs inside the child process (child.ts); knows nothing about IPC.
 */
import {
  CLIENT_KINDS,
  type ClientKind,
  type GeneratorStalls,
  type KindReport,
  type LoadReport,
  type ParsedLoadCommand,
} from '../../common/load';
import { HttpKind } from './clients/http';
import { JobProducerKind, type JobRate } from './clients/job-producer';
import { LongPollKind } from './clients/long-poll';
import { PublisherKind } from './clients/publisher';
import { SseKind } from './clients/sse';
import { WsFeedKind } from './clients/ws-feed';
import { WsEchoKind } from './clients/ws-echo';
import { WsPrimeKind } from './clients/ws-prime';
import { countOpenFds, fdLimitError, freeFds, readFdLimit } from './fd-limit';
import { HealthMonitor } from './health';
import type { KindDriver } from './kind-driver';
import { parseTarget, type Target } from './target';

/** How old the fd limit in a periodic report may be (ms). */
const FD_LIMIT_REREAD_MS = 5000;

export interface GeneratorOptions {
  target: string;
  reportIntervalMs: number;
  allowNonLoopback: boolean;
  connectTimeoutMs: number;
  /** Receives one report per interval plus this process's fd figures. */
  onReport(report: LoadReport, fd: FdStatus): void;
  /** This process's own stalls, when a watchdog watches it; otherwise the health timer counts them. */
  stalls?: () => GeneratorStalls;
}

export interface FdStatus {
  limit: number;
  /** Descriptors open when the generator started (stdio, IPC, runtime). */
  base: number;
  /** Descriptors the clients hold or will hold once queued clients start. */
  demand: number;
}

/** What a restart of the server carries over to the new one: spawned clients per kind and the rates. */
interface Carried {
  clients: Record<ClientKind, number>;
  publishPerS: number;
  jobs: JobRate;
}

export class Generator {
  private targetUrl: string;
  private readonly drivers: Record<ClientKind, KindDriver>;
  private readonly publisher: PublisherKind;
  private readonly jobs: JobProducerKind;
  private readonly health = new HealthMonitor();
  private readonly timer: NodeJS.Timeout;
  private lastReport = performance.now();
  private fdLimit = 0;
  private fdLimitReadAt = -Infinity;
  /** Clients stopped by `hold`, to start again at the next `target` with keepClients. */
  private held: Carried | null = null;
  readonly baseFds: number;

  constructor(private readonly options: GeneratorOptions) {
    const target = parseTarget(options.target, options.allowNonLoopback);
    this.targetUrl = options.target;
    this.publisher = new PublisherKind(target, options.connectTimeoutMs);
    this.jobs = new JobProducerKind(target, options.connectTimeoutMs);
    this.drivers = {
      'ws-prime': new WsPrimeKind(target, options.connectTimeoutMs),
      'ws-feed': new WsFeedKind(target, options.connectTimeoutMs),
      sse: new SseKind(target, options.connectTimeoutMs),
      'long-poll': new LongPollKind(target, options.connectTimeoutMs),
      http: new HttpKind(target, options.connectTimeoutMs),
      publisher: this.publisher,
      'job-producer': this.jobs,
      'ws-echo': new WsEchoKind(target, options.connectTimeoutMs),
    };
    this.baseFds = countOpenFds() ?? 32;
    this.timer = setInterval(() => this.report(), options.reportIntervalMs);
  }

  /**
   * `fresh`: read the limit now (a spawn is judged against it). The periodic report reuses a reading
   * up to FD_LIMIT_REREAD_MS old: reading /proc/self/limits four times a second was a visible part
   * of an idle generator's CPU, and a limit changed with prlimit shows within seconds anyway.
   */
  fdStatus(fresh = true): FdStatus {
    let demand = 0;
    for (const kind of CLIENT_KINDS) demand += this.drivers[kind].fdDemand();
    const now = performance.now();
    if (fresh || now - this.fdLimitReadAt > FD_LIMIT_REREAD_MS) {
      this.fdLimit = readFdLimit();
      this.fdLimitReadAt = now;
    }
    return { limit: this.fdLimit, base: this.baseFds, demand };
  }

  async apply(cmd: ParsedLoadCommand): Promise<void> {
    switch (cmd.type) {
      case 'spawn': {
        const fd = this.fdStatus();
        const available = freeFds(fd);
        if (cmd.count > available) throw fdLimitError(cmd.count, available, fd.limit, cmd.kind);
        this.drivers[cmd.kind].spawn(cmd.count, cmd.rampPerS, cmd.options);
        return;
      }
      case 'stop':
        this.drivers[cmd.kind].stop(cmd.count);
        return;
      case 'stopAll':
        await this.stopAll();
        return;
      case 'configure':
        this.drivers[cmd.kind].configure(cmd.options);
        return;
      case 'publishRate':
        this.publisher.setRate(cmd.perS);
        return;
      case 'jobRate':
        this.jobs.setJobRate(cmd.perS, cmd.jobsPerRequest, cmd.workMs);
        return;
      case 'restartMeasurement':
        for (const kind of CLIENT_KINDS) this.drivers[kind].stats.restartMeasurement();
        return;
      case 'hold':
        this.held ??= this.carried();
        await this.stopAll();
        return;
      case 'target': {
        const target: Target = parseTarget(cmd.url, this.options.allowNonLoopback);
        const carried = cmd.keepClients ? (this.held ?? this.carried()) : null;
        this.held = null;
        await this.stopAll();
        for (const kind of CLIENT_KINDS) this.drivers[kind].setTarget(target);
        this.targetUrl = cmd.url;
        if (carried) this.resume(carried);
        return;
      }
    }
  }

  private carried(): Carried {
    const clients = {} as Record<ClientKind, number>;
    for (const kind of CLIENT_KINDS) clients[kind] = this.drivers[kind].clients();
    return { clients, publishPerS: this.publisher.ratePerS(), jobs: this.jobs.jobRate() };
  }

  /** The clients and rates of the server before, against the new one (all at once: they ran already). */
  private resume(carried: Carried): void {
    for (const kind of CLIENT_KINDS) {
      const n = carried.clients[kind];
      if (n > 0) this.drivers[kind].spawn(n, 0, undefined);
    }
    if (carried.publishPerS > 0) this.publisher.setRate(carried.publishPerS);
    const jobs = carried.jobs;
    if (jobs.perS > 0) this.jobs.setJobRate(jobs.perS, jobs.jobsPerRequest, jobs.workMs);
  }

  async stopAll(): Promise<void> {
    await Promise.all(CLIENT_KINDS.map((kind) => this.drivers[kind].stopAll()));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.stopAll();
    this.health.close();
  }

  /** The next report's cumulative latencies carry their buckets (merge-reports.ts). */
  shareBucketsOnce(): void {
    this.shareBuckets = true;
  }

  private shareBuckets = false;

  private report(): void {
    const withBuckets = this.shareBuckets;
    this.shareBuckets = false;
    const now = performance.now();
    const elapsed = now - this.lastReport;
    this.lastReport = now;
    const kinds = {} as Record<ClientKind, KindReport>;
    for (const kind of CLIENT_KINDS) {
      const d = this.drivers[kind];
      kinds[kind] = d.stats.snapshot(d.active(), d.pending(), elapsed, withBuckets);
    }
    const health = this.health.sample();
    this.options.onReport(
      {
        time: Date.now(),
        intervalMs: this.options.reportIntervalMs,
        target: this.targetUrl,
        kinds,
        generator: {
          processes: 1,
          ...health,
          stalls: this.options.stalls ? this.options.stalls() : this.health.stalls.summary(),
        },
      },
      this.fdStatus(false),
    );
  }
}
