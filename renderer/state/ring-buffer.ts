/**
 * A fixed-capacity columnar ring of numeric samples: memory is allocated once, the oldest row is
 * overwritten when full. NaN marks "no value" (e.g. before the first load report).
 */
export class SampleRing<C extends string> {
  private readonly columns: Record<C, Float64Array>;
  private start = 0;
  private length = 0;

  constructor(
    readonly names: readonly C[],
    readonly capacity: number,
  ) {
    this.columns = Object.fromEntries(names.map((n) => [n, new Float64Array(capacity)])) as Record<
      C,
      Float64Array
    >;
  }

  get size(): number {
    return this.length;
  }

  push(row: Record<C, number>): void {
    const slot = (this.start + this.length) % this.capacity;
    for (const name of this.names) this.columns[name][slot] = row[name];
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Value of `column` in the i-th oldest row (0 ≤ i < size). */
  at(column: C, i: number): number {
    return this.columns[column][(this.start + i) % this.capacity] ?? Number.NaN;
  }

  /** Index of the first row whose `column` is ≥ value, assuming the column ascends (time does). */
  lowerBound(column: C, value: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(column, mid) < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}

/** The newest row's value of `column`; NaN before the first row or where it has none. */
export function latestValue<C extends string>(ring: SampleRing<C>, column: C): number {
  return ring.size === 0 ? Number.NaN : ring.at(column, ring.size - 1);
}

/** The largest value of `column` over the rows of the last `windowMs` (what a chart shows); NaN if none. */
export function worstValue<C extends string>(
  ring: SampleRing<C | 'time'>,
  column: C,
  windowMs: number,
): number {
  if (ring.size === 0) return Number.NaN;
  const from = ring.lowerBound('time', ring.at('time', ring.size - 1) - windowMs);
  let max = Number.NaN;
  for (let i = from; i < ring.size; i++) {
    const v = ring.at(column, i);
    // NaN max (none yet) compares false, so the first finite value is taken.
    if (Number.isFinite(v) && !(v <= max)) max = v;
  }
  return max;
}
