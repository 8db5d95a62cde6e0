/**
 * Flag parsing shared by `serve` and `load`: node:util's parser, with every failure — its own
 * (unknown flag, missing value) and ours (out of range) — a `usage` error worded the same way, and
 * numbers checked against common/limits.ts's ranges by common/range.ts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LoopscopeError } from '../../common/errors';
import type { IntRange } from '../../common/limits';
import { parseIntText, parseNumberText } from '../../common/range';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--duration -1` would otherwise be refused by node:util as "ambiguous" (the value looks like a
 * flag); joined as `--duration=-1` it reaches the range check and gets the same message as 0 would.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parseFlags<const O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    throw new LoopscopeError('usage', (err as Error).message);
  }
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function text(values: Values, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** An integer flag; undefined when absent, so the caller applies its default. */
export function intFlag(values: Values, name: string, r: IntRange): number | undefined {
  const raw = text(values, name);
  return raw === undefined ? undefined : parseIntText(`--${name}`, raw, r, 'usage');
}

/** A flag that may be fractional: rates and thresholds. */
export function numberFlag(values: Values, name: string, r: IntRange): number | undefined {
  const raw = text(values, name);
  return raw === undefined ? undefined : parseNumberText(`--${name}`, raw, r, 'usage');
}
