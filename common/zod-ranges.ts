/**
 * Zod fields built from common/limits.ts, so a schema never restates a bound, and every layer words
 * a range error the same way ("must be an integer from 1 to 50").
 */
import { z } from 'zod';
import { describeDecimalRange, describeRange, type IntRange } from './limits';

export function intIn(r: IntRange) {
  const message = `must be ${describeRange(r)}`;
  return z.number(message).int(message).min(r.min, message).max(r.max, message);
}

/** A rate or other value that may be fractional, within the range's bounds. */
export function numberIn(r: IntRange) {
  const message = `must be ${describeDecimalRange(r)}`;
  return z.number(message).min(r.min, message).max(r.max, message);
}
