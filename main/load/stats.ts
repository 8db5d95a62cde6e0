/**
 * Per-kind counters and HDR latency histograms (latency-histogram.ts) inside one generator process. Clients add to these;
 * once per report interval snapshot() turns them into one fixed-size KindReport, whatever the
 * number of clients.
 */
import type { ClientKind, IntegrityCounters, KindReport, LatencySummary } from '../../common/load';
import { LatencyHistogram } from './latency-histogram';

/** Distinct failure causes kept per kind; the rest fold into "other" so the report stays bounded. */
const MAX_CAUSES = 24;

export const EMPTY_LATENCY: LatencySummary = { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };

export class KindStats {
  opened = 0;
  closed = 0;
  sent = 0;
  received = 0;
  readonly integrity: IntegrityCounters = {
    wrong: 0,
    missing: 0,
    duplicated: 0,
    outOfOrder: 0,
    expiredLost: 0,
  };
  private readonly failures = new Map<string, number>();
  private readonly rtt = new LatencyHistogram();
  private readonly rttAll = new LatencyHistogram();
  private readonly delivery = new LatencyHistogram();
  private readonly deliveryAll = new LatencyHistogram();
  private readonly connect = new LatencyHistogram();
  private readonly connectAll = new LatencyHistogram();
  private lastSent = 0;
  private lastReceived = 0;
  /**
   * performance.now() of the last restartMeasurement(): the cumulative latencies hold only requests
   * (and publishes) due since, so a reply to one sent in a warm-up cannot bring the warm-up along.
   */
  private measuringSince = 0;

  constructor(readonly kind: ClientKind) {}

  fail(cause: string): void {
    const key = this.failures.has(cause) || this.failures.size < MAX_CAUSES ? cause : 'other';
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }

  failureTotal(): number {
    let total = 0;
    for (const n of this.failures.values()) total += n;
    return total;
  }

  recordRtt(ms: number): void {
    this.rtt.recordMs(ms);
    if (this.measuringSince === 0 || performance.now() - ms >= this.measuringSince) this.rttAll.recordMs(ms);
  }

  /** Time from starting to connect to the connection being up (TCP, plus the upgrade for ws). */
  recordConnect(ms: number): void {
    this.connect.recordMs(ms);
    this.connectAll.recordMs(ms);
  }

  recordDelivery(ms: number): void {
    this.delivery.recordMs(ms);
    if (this.measuringSince === 0 || performance.now() - ms >= this.measuringSince)
      this.deliveryAll.recordMs(ms);
  }

  /**
   * Starts the measurement afresh (a warm-up is over): sent, received and the cumulative rtt and
   * delivery count from now. Connections (opened, closed, connect times), failures and integrity
   * keep counting from the start: a refused connection or a wrong answer is a fault whenever it
   * happens, and a warm-up must not hide it. The interval's rates and latencies are untouched.
   */
  restartMeasurement(): void {
    // The interval's rates are differences from lastSent/lastReceived: shift those along.
    this.lastSent -= this.sent;
    this.lastReceived -= this.received;
    this.sent = 0;
    this.received = 0;
    this.rttAll.reset();
    this.deliveryAll.reset();
    this.measuringSince = performance.now();
  }

  /**
   * The interval's report; resets the per-interval histograms and rates. `withBuckets`: the
   * cumulative latencies carry their buckets, for an exact merge across processes.
   */
  snapshot(active: number, pending: number, elapsedMs: number, withBuckets = false): KindReport {
    const seconds = Math.max(elapsedMs, 1) / 1000;
    const report: KindReport = {
      kind: this.kind,
      active,
      pending,
      opened: this.opened,
      closed: this.closed,
      failures: Object.fromEntries(this.failures),
      sent: this.sent,
      received: this.received,
      sentPerS: (this.sent - this.lastSent) / seconds,
      receivedPerS: (this.received - this.lastReceived) / seconds,
      rtt: this.rtt.summary(),
      delivery: this.delivery.summary(),
      connect: this.connect.summary(),
      integrity: { ...this.integrity },
      cumulative: {
        rtt: this.rttAll.summary(withBuckets),
        delivery: this.deliveryAll.summary(withBuckets),
        connect: this.connectAll.summary(withBuckets),
      },
    };
    // Resetting clears the whole bucket array: only the ones in use need it.
    if (report.rtt.count > 0) this.rtt.reset();
    if (report.delivery.count > 0) this.delivery.reset();
    if (report.connect!.count > 0) this.connect.reset();
    this.lastSent = this.sent;
    this.lastReceived = this.received;
    return report;
  }
}

/** A failure's cause as reported: the errno code, "timeout", or "error" when nothing better is known. */
export function causeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_0-9]+$/.test(code)) {
      return code === 'ETIMEDOUT' ? 'timeout' : code;
    }
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && /timed out|timeout/i.test(message)) return 'timeout';
  }
  return 'error';
}
