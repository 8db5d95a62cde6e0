/**
 * The one integer check of every layer: HTTP query values and JSON bodies, CLI flags, engine
 * options. Each throws a LoopscopeError with the caller's code and the same wording, naming the
 * parameter, its range and what was given.
 */
import { LoopscopeError, type ErrorCode } from './errors';
import { describeRange, type IntRange } from './limits';

const INTEGER_TEXT = /^\s*-?\d+\s*$/;

function outOfRange(code: ErrorCode, name: string, r: IntRange, got: string): LoopscopeError {
  return new LoopscopeError(code, `${name} must be ${describeRange(r)}, got ${got}`);
}

/** A value that should already be a number (parsed JSON, an option). Required: no default applies. */
export function checkInt(name: string, value: unknown, r: IntRange, code: ErrorCode = 'bad_request'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < r.min || value > r.max) {
    throw outOfRange(code, name, r, JSON.stringify(value) ?? 'nothing');
  }
  return value;
}

/** A value written as text (a query parameter, a flag); absent takes the default or is an error. */
export function parseIntText(
  name: string,
  raw: string | null | undefined,
  r: IntRange,
  code: ErrorCode = 'bad_request',
): number {
  if (raw === null || raw === undefined) {
    if (r.default !== undefined) return r.default;
    throw new LoopscopeError(code, `${name} is required: ${name} must be ${describeRange(r)}`);
  }
  const value = INTEGER_TEXT.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < r.min || value > r.max) {
    throw outOfRange(code, name, r, JSON.stringify(raw));
  }
  return value;
}

/** A value written as text that may be fractional (a rate, a threshold in ms). */
export function parseNumberText(
  name: string,
  raw: string | null | undefined,
  r: IntRange,
  code: ErrorCode = 'bad_request',
): number {
  if (raw === null || raw === undefined) {
    if (r.default !== undefined) return r.default;
    throw new LoopscopeError(code, `${name} is required: ${name} must be a number from ${r.min} to ${r.max}`);
  }
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < r.min || value > r.max) {
    throw new LoopscopeError(
      code,
      `${name} must be a number from ${r.min} to ${r.max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
