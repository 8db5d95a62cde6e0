/**
 * `npm run serve -- [--port N] [--host H] [--sample-ms N] [--no-sampler] [--stall-ms N] [--log-stalls]
 * [--no-stalls]`: the demo server, headless.
 * Prints one line with the real URL, runs until SIGINT/SIGTERM, then closes gracefully and exits 0.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { culpritFrame, type Stall } from '../../common/stalls';
import { createEngine, type Engine } from '../engine/engine';
import { isLoopscopeError } from '../engine/errors';
import {
  DEFAULT_STALL_THRESHOLD_MS,
  MAX_STALL_THRESHOLD_MS,
  MIN_STALL_THRESHOLD_MS,
} from '../engine/stalls/limits';
import { dashboardExtension } from '../dashboard/serve-extension';

export const SERVE_USAGE =
  'usage: npm run serve -- [--port N (0..65535, default 8888; 0 picks a free port)] ' +
  '[--host H (default 127.0.0.1)] [--sample-ms N (250..60000, default 1000)] ' +
  '[--no-sampler (no periodic sampling; /stats samples on request)] ' +
  '[--dashboard-port N (default 8890; 0 picks a free port)] [--no-dashboard] ' +
  `[--stall-ms N (stall threshold, ${MIN_STALL_THRESHOLD_MS}..${MAX_STALL_THRESHOLD_MS}, default ${DEFAULT_STALL_THRESHOLD_MS})] ` +
  '[--log-stalls (one line per stall on stdout)] [--no-stalls (no stall explorer)]';

export interface ServeFlags {
  host: string;
  port: number;
  sampleMs: number;
  /** false with --no-sampler: measures what watching costs (the bench's overhead scenario). */
  sampler: boolean;
  /** The browser dashboard's port; null with --no-dashboard. */
  dashboardPort: number | null;
  stallMs: number;
  logStalls: boolean;
  /** false with --no-stalls: what the explorer costs is measured against this. */
  stalls: boolean;
}

/**
 * Something started beside the engine (the browser dashboard, for one) and stopped before it.
 * Add starters to `extensions` below; each gets the running engine and the parsed flags.
 */
export type ServeExtension = (engine: Engine, flags: ServeFlags) => Promise<{ close(): Promise<void> }>;

const extensions: ServeExtension[] = [dashboardExtension];

class UsageError extends Error {}
class HelpRequested extends Error {}

function intFlag(name: string, raw: string | undefined, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function parseServeFlags(argv: string[]): ServeFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'sample-ms': { type: 'string' },
        'no-sampler': { type: 'boolean' },
        'dashboard-port': { type: 'string' },
        'no-dashboard': { type: 'boolean' },
        'stall-ms': { type: 'string' },
        'log-stalls': { type: 'boolean' },
        'no-stalls': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help === true) throw new HelpRequested();
  const host = values.host as string | undefined;
  if (host === '') throw new UsageError('--host must not be empty');
  return {
    host: host ?? '127.0.0.1',
    port: intFlag('port', values.port as string | undefined, 0, 65_535, 8888),
    sampleMs: intFlag('sample-ms', values['sample-ms'] as string | undefined, 250, 60_000, 1000),
    sampler: values['no-sampler'] !== true,
    dashboardPort:
      values['no-dashboard'] === true
        ? null
        : intFlag('dashboard-port', values['dashboard-port'] as string | undefined, 0, 65_535, 8890),
    stallMs: intFlag(
      'stall-ms',
      values['stall-ms'] as string | undefined,
      MIN_STALL_THRESHOLD_MS,
      MAX_STALL_THRESHOLD_MS,
      DEFAULT_STALL_THRESHOLD_MS,
    ),
    logStalls: values['log-stalls'] === true,
    stalls: values['no-stalls'] !== true,
  };
}

/** `function file:line` with the file relative to where serve runs, for a terminal. */
export function stallLine(stall: Stall): string {
  const frame = culpritFrame(stall);
  let where = '(no frame)';
  if (frame) {
    const file = frame.url.startsWith('file:')
      ? relative(process.cwd(), fileURLToPath(frame.url))
      : frame.url;
    where = file ? `${frame.functionName} ${file}:${frame.lineNumber}` : frame.functionName;
  }
  return `stall ${stall.durationMs.toFixed(1)} ms: ${where} (stack from ${stall.stackFrom})`;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function run(argv: string[]): Promise<number> {
  let flags: ServeFlags;
  try {
    flags = parseServeFlags(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(SERVE_USAGE);
      return 0;
    }
    if (!(err instanceof UsageError)) throw err;
    console.error(`serve: ${err.message}\n${SERVE_USAGE}`);
    return 2;
  }
  let engine: Engine;
  try {
    engine = await createEngine({
      host: flags.host,
      port: flags.port,
      sampleIntervalMs: flags.sampleMs,
      sampler: flags.sampler,
      stalls: flags.stalls ? { thresholdMs: flags.stallMs } : false,
    });
  } catch (err) {
    if (isLoopscopeError(err) && err.code === 'port_in_use') {
      console.error(
        `serve: port ${flags.port} on ${flags.host} is already in use; choose another with --port N`,
      );
      return 1;
    }
    throw err;
  }
  const signal = untilSignal();
  const started = [];
  for (const extension of extensions) started.push(await extension(engine, flags));
  console.log(`demo server listening on ${engine.url}`);
  if (flags.logStalls) engine.stalls.subscribe((stall) => console.log(stallLine(stall)));
  await signal;
  for (const extra of started.reverse()) await extra.close();
  await engine.close();
  return 0;
}
