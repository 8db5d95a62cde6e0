/**
 * The memory the event loop and its watchdog share: the loop writes the time of its latest
 * heartbeat, the watchdog (another thread, so it keeps running while the loop is blocked) reads
 * it. The threshold lives here too, so a change takes effect at the watchdog's next look, and so
 * does whether the watchdog may pause the loop.
 */

/** Now on the monotonic clock V8's CPU profiler uses, in µs. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export class SharedHeartbeat {
  readonly buffer: SharedArrayBuffer;
  private readonly beatAt: BigInt64Array;
  private readonly ints: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.buffer = buffer;
    this.beatAt = new BigInt64Array(buffer, 0, 1);
    this.ints = new Int32Array(buffer, 8, 2);
  }

  beat(): void {
    Atomics.store(this.beatAt, 0, process.hrtime.bigint() / 1000n);
  }

  lastBeatUs(): number {
    return Number(Atomics.load(this.beatAt, 0));
  }

  get thresholdMs(): number {
    return Atomics.load(this.ints, 0);
  }

  set thresholdMs(ms: number) {
    Atomics.store(this.ints, 0, ms);
  }

  /** A reader of the published explorer (attach) holds the watchdog's pauses (published.ts). */
  get pausesHeld(): boolean {
    return Atomics.load(this.ints, 1) === 1;
  }

  set pausesHeld(held: boolean) {
    Atomics.store(this.ints, 1, held ? 1 : 0);
  }
}
