/**
 * ws-prime: each client sends an integer every intervalMs (0 = hold the connection idle) and checks
 * every answer against the verdict and canonical form known before it was sent (prime-check.ts's
 * question pool, answered once by the engine's Miller–Rabin and tested against an independent one).
 * Answers come back in send order, so each connection keeps a FIFO of what it is waiting for; round
 * trip is measured from the moment a send was due, so a stalled server or generator cannot hide the
 * stall.
 */
import type { KindOptions } from '../../../../common/load';
import { ConnectionPool } from '../connection-pool';
import { DueQueue } from '../due-queue';
import { buildQuestionPool, type PrimeQuestion } from '../prime-check';
import type { Target } from '../target';
import { WsConnection } from '../ws-connection';

const QUESTION_POOL_SIZE = 1024;
/** Unanswered questions per connection before the client skips sends (counted as skipped_backlog). */
const MAX_OUTSTANDING = 1000;
/** Sends per timer callback before yielding to I/O. */
const MAX_SENDS_PER_TICK = 5000;

interface Waiting {
  due: number;
  question: PrimeQuestion;
  /** False for a send made while the kind was still connecting: not a round trip worth reporting. */
  measured: boolean;
}

class PrimeClient extends WsConnection {
  readonly waiting: Waiting[] = [];
  corked = false;
}

let questionPool: PrimeQuestion[] | null = null;
/** Builds the question pool (~0.2 s of BigInt work); the child does it before reporting ready. */
export function questions(): PrimeQuestion[] {
  questionPool ??= buildQuestionPool(QUESTION_POOL_SIZE);
  return questionPool;
}

export class WsPrimeKind extends ConnectionPool<PrimeClient> {
  private intervalMs = 1000;
  private readonly schedule = new DueQueue<PrimeClient>();
  private sendTimer: NodeJS.Timeout | null = null;

  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-prime', target, connectTimeoutMs);
  }

  configure(options: KindOptions): void {
    if (options.intervalMs === undefined) return;
    const wasIdle = this.intervalMs === 0;
    this.intervalMs = options.intervalMs;
    // Going idle drops every pending send, so a later restart cannot schedule a client twice.
    if (this.intervalMs === 0) this.schedule.clear();
    if (wasIdle && this.intervalMs > 0) {
      for (const c of this.open) this.enqueue(c);
      this.arm();
    }
  }

  protected connect(localAddress: string | undefined): PrimeClient {
    const client: PrimeClient = new PrimeClient(`${this.target.wsBase}/ws/prime`, localAddress, {
      opened: () => this.opened(client),
      ended: (cause) => this.ended(client, cause),
      message: (data, isBinary) => this.answer(client, isBinary ? null : data.toString()),
    });
    return client;
  }

  protected override onOpened(c: PrimeClient): void {
    if (this.intervalMs === 0) return;
    questions();
    this.enqueue(c);
    this.arm();
  }

  private enqueue(c: PrimeClient): void {
    // A random phase spreads the clients' sends evenly over the interval.
    this.schedule.push(performance.now() + Math.random() * this.intervalMs, c);
  }

  private arm(): void {
    if (this.sendTimer !== null) return;
    const next = this.schedule.peekDue();
    if (next === undefined) return;
    this.sendTimer = setTimeout(() => this.sendDue(), Math.max(0, next - performance.now()));
  }

  private sendDue(): void {
    this.sendTimer = null;
    const now = performance.now();
    const pool = questions();
    // Corked for the whole tick: what one socket gets in this tick leaves in one write, not one
    // writev per message.
    const corked: PrimeClient[] = [];
    for (let sent = 0; sent < MAX_SENDS_PER_TICK;) {
      const entry = this.schedule.popDue(now);
      if (!entry) break;
      const c = entry.item;
      if (c.state !== 'open' || this.isStopping(c) || this.intervalMs === 0) continue;
      this.schedule.push(entry.due + this.intervalMs, c);
      if (c.waiting.length >= MAX_OUTSTANDING) {
        this.stats.fail('skipped_backlog');
        continue;
      }
      const question = pool[Math.floor(Math.random() * pool.length)]!;
      c.waiting.push({ due: entry.due, question, measured: this.measures(entry.due) });
      if (!c.corked) {
        c.corked = true;
        c.socket()?.cork();
        corked.push(c);
      }
      c.ws.send(question.text);
      this.stats.sent++;
      sent++;
    }
    for (const c of corked) {
      c.corked = false;
      c.socket()?.uncork();
    }
    this.arm();
  }

  private answer(c: PrimeClient, text: string | null): void {
    const stats = this.stats;
    const waited = c.waiting.shift();
    if (!waited) {
      // An answer nobody asked for is as wrong as a wrong answer.
      stats.integrity.wrong++;
      return;
    }
    stats.received++;
    if (waited.measured) stats.recordRtt(performance.now() - waited.due);
    if (text === null || !isRightAnswer(text, waited.question)) stats.integrity.wrong++;
  }
}

function isRightAnswer(text: string, q: PrimeQuestion): boolean {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return false; // not JSON at all: the server answered wrongly
  }
  if (typeof reply !== 'object' || reply === null) return false;
  const r = reply as { n?: unknown; prime?: unknown };
  return r.n === q.canonical && r.prime === q.prime;
}
