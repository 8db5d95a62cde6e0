/** What the generator needs from each client kind (one module per kind under clients/). */
import type { ClientKind, KindOptions } from '../../common/load';
import type { KindStats } from './stats';
import type { Target } from './target';

export interface KindDriver {
  readonly kind: ClientKind;
  readonly stats: KindStats;
  spawn(count: number, rampPerS: number, options: KindOptions | undefined): void;
  /** Stops up to `count` clients: not-yet-started ones first, then connecting, then the oldest open. */
  stop(count: number): void;
  /** Stops every client (and rate sender); resolves when their sockets are closed. */
  stopAll(): Promise<void>;
  configure(options: KindOptions): void;
  /** Only called with no clients running (the generator stops all first). */
  setTarget(target: Target): void;
  /** File descriptors this kind holds now or will hold once its queued clients start. */
  fdDemand(): number;
  active(): number;
  pending(): number;
  /** Spawned clients running, connecting or queued (a rate sender is not one): what a restart carries over. */
  clients(): number;
}

/** How long stopAll waits for graceful closes before destroying what is left. */
export const STOP_GRACE_MS = 2_000;
