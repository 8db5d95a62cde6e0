/**
 * Clients asked for but not started yet, released at the spawn's ramp rate (0 = as fast as the
 * caller can take them). A token bucket that holds at most a 50 ms burst keeps the rate smooth.
 */
export class Ramp {
  queued = 0;
  private perS = 0;
  private tokens = 0;
  private last = performance.now();

  add(count: number, perS: number): void {
    this.refill();
    this.queued += count;
    this.perS = perS;
    if (perS > 0) this.tokens = Math.max(this.tokens, 1);
  }

  /** Removes up to n queued clients without starting them; returns how many were removed. */
  remove(n: number): number {
    const taken = Math.min(n, this.queued);
    this.queued -= taken;
    return taken;
  }

  /** How many clients may start now, at most `max`; they leave the queue. */
  take(max: number): number {
    this.refill();
    let n = Math.min(this.queued, max);
    if (this.perS > 0) n = Math.min(n, Math.floor(this.tokens));
    if (n <= 0) return 0;
    this.queued -= n;
    if (this.perS > 0) this.tokens -= n;
    return n;
  }

  private refill(): void {
    const now = performance.now();
    if (this.perS > 0) {
      const cap = Math.max(1, this.perS * 0.05);
      this.tokens = Math.min(cap, this.tokens + ((now - this.last) / 1000) * this.perS);
    }
    this.last = now;
  }
}
