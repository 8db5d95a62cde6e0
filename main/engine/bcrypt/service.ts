/**
 * docs/protocol.md §7: the same bcrypt hash either synchronously on the event loop (everyone else
 * stalls) or on a Piscina pool of worker threads (the loop stays free). Loop runs are recorded so
 * the snapshot can show how long the loop was held.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import { Piscina } from 'piscina';
import { entryPoint } from '../entry-points';
import type { EngineCounters } from '../metrics/counters';
import type { BcryptDone, BcryptTask } from './worker';
import type { AppPool } from '../../diagnosis/signals';
import { LoopscopeError } from '../../../common/errors';
import { BCRYPT_COST, BCRYPT_PASSWORD_BYTES } from '../../../common/limits';
import { checkInt } from '../../../common/range';

export type BcryptMode = 'loop' | 'pool';

/** bcrypt only looks at the first 72 bytes; longer passwords are refused rather than silently cut. */
export function checkPasswordLength(bytes: number): void {
  if (bytes < BCRYPT_PASSWORD_BYTES.min || bytes > BCRYPT_PASSWORD_BYTES.max) {
    throw new LoopscopeError(
      'bad_request',
      `the password must be ${BCRYPT_PASSWORD_BYTES.min} to ${BCRYPT_PASSWORD_BYTES.max} bytes, got ${bytes}`,
    );
  }
}

export interface BcryptResult {
  hash: string;
  mode: BcryptMode;
  ms: number;
}

export class BcryptService {
  private readonly counters: EngineCounters;
  private readonly threads: number;
  private pool: Piscina<BcryptTask, BcryptDone> | null = null;
  /** The longest a hash waited for a worker since the last `poolWindow()` (docs/protocol.md §12). */
  private waitedMs = 0;

  constructor(counters: EngineCounters, threads = os.availableParallelism()) {
    this.counters = counters;
    this.threads = Math.max(1, threads);
  }

  async hash(password: string | Buffer, cost: number, mode: BcryptMode): Promise<BcryptResult> {
    const bytes = typeof password === 'string' ? Buffer.from(password) : password;
    // The HTTP route checks these too; this guards the engine API the app calls directly.
    checkInt('cost', cost, BCRYPT_COST);
    checkPasswordLength(bytes.length);
    const start = performance.now();
    if (mode === 'loop') {
      // Deliberately synchronous: this is the demonstration of a blocked loop.
      const hash = bcrypt.hashSync(bytes, cost);
      const ms = performance.now() - start;
      this.counters.bcrypt.loopRuns++;
      this.counters.bcrypt.loopMs += ms;
      return { hash, mode, ms: Math.round(ms * 10) / 10 };
    }
    const { hash, runMs } = await this.workers().run({ password: new Uint8Array(bytes), cost });
    this.waitedMs = Math.max(this.waitedMs, performance.now() - start - runMs);
    this.counters.bcrypt.poolRuns++;
    return { hash, mode, ms: Math.round((performance.now() - start) * 10) / 10 };
  }

  /** The pool's size, the hashes queued for a worker now, and the longest wait since the last call. */
  poolWindow(): AppPool {
    const out = {
      size: this.threads,
      queued: this.pool?.queueSize ?? 0,
      waitMs: Math.round(this.waitedMs),
    };
    this.waitedMs = 0;
    return out;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }

  /** Started on first use: threads cost memory and start-up time that many runs never need. */
  private workers(): Piscina<BcryptTask, BcryptDone> {
    if (!this.pool) {
      const entry = entryPoint('bcrypt-worker');
      this.pool = new Piscina<BcryptTask, BcryptDone>({
        filename: entry.file,
        execArgv: entry.execArgv,
        maxThreads: this.threads,
        minThreads: 1,
        // Keep threads warm between bursts: starting one costs far more than a cost-10 hash.
        idleTimeout: 60_000,
      });
    }
    return this.pool;
  }
}
