/**
 * The one integer check of every layer: HTTP query values and JSON bodies, CLI flags, engine
 * options. Each throws a LoopscopeError with the caller's code and the same wording, naming the
 * parameter, its range and what was given.
 */
import { LoopscopeError, type ErrorCode } from './errors';
import { describeDecimalRange, describeRange, type IntRange } from './limits';

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

interface TextRule {
  /** How the range reads in a message: "an integer from 1 to 50". */
  words(r: IntRange): string;
  /** The number the text holds, or NaN. */
  parse(raw: string): number;
  accepts(value: number): boolean;
}

const INTEGER: TextRule = {
  words: describeRange,
  parse: (raw) => (INTEGER_TEXT.test(raw) ? Number(raw) : NaN),
  accepts: Number.isSafeInteger,
};

const DECIMAL: TextRule = {
  words: describeDecimalRange,
  parse: (raw) => (raw.trim() === '' ? NaN : Number(raw)),
  accepts: Number.isFinite,
};

function parseText(
  rule: TextRule,
  name: string,
  raw: string | null | undefined,
  r: IntRange,
  code: ErrorCode,
): number {
  if (raw === null || raw === undefined) {
    if (r.default !== undefined) return r.default;
    throw new LoopscopeError(code, `${name} is required: ${name} must be ${rule.words(r)}`);
  }
  const value = rule.parse(raw);
  if (!rule.accepts(value) || value < r.min || value > r.max) {
    throw new LoopscopeError(code, `${name} must be ${rule.words(r)}, got ${JSON.stringify(raw)}`);
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
  return parseText(INTEGER, name, raw, r, code);
}

/** A value written as text that may be fractional (a rate, a threshold in ms). */
export function parseNumberText(
  name: string,
  raw: string | null | undefined,
  r: IntRange,
  code: ErrorCode = 'bad_request',
): number {
  return parseText(DECIMAL, name, raw, r, code);
}
