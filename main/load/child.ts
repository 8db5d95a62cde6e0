/**
 * Entry point of a load-generator process (forked by controller.ts via entryPoint('load-generator')).
 * Its CPU is its own: simulated clients never add to the server's event-loop delay.
 * It exits when told to, or when the parent goes away, so no generator outlives its app.
 */
import { isLoopscopeError } from '../../common/errors';
import type { GeneratorStalls } from '../../common/load';
import { culpritFrame, frameText } from '../../common/stalls';
import { startStallWatch, type StallWatch } from '../stalls/watchdog';
import { questions } from './clients/ws-prime';
import { Generator } from './generator';
import { fromChildSchema, toChildSchema, type ErrorShape, type FromChild } from './messages';

let generator: Generator | null = null;
/** The generator's own stalls, named, when asked for: when the measuring side stalls, its latencies include that. */
let watch: StallWatch | null = null;
let worst: string | null = null;

function ownStalls(): GeneratorStalls {
  return { ...watch!.log.summary(), worst };
}
let shuttingDown = false;

function send(msg: FromChild): void {
  // Validate outgoing too: a bug here should fail in the child's own stack trace. Not the periodic
  // reports: the parent validates every one it receives, and a second zod pass over each, four
  // times a second, was a visible part of an idle generator's CPU.
  const checked = msg.type === 'report' ? msg : fromChildSchema.parse(msg);
  if (process.connected) process.send!(checked);
}

function errorShape(err: unknown): ErrorShape {
  if (isLoopscopeError(err)) return { code: err.code, message: err.message, details: err.details };
  // A bug, not a refusal: keep the stack where a developer will see it, and tell the caller.
  process.stderr.write(`load-generator: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return { code: 'internal_error', message: String(err), details: {} };
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  await generator?.close();
  await watch?.close();
  process.exit(code);
}

async function handle(raw: unknown): Promise<void> {
  const parsed = toChildSchema.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`load-generator: ignoring malformed message: ${parsed.error.message}\n`);
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'init') {
    // Pay for the prime question pool now, not as a stall in the first report.
    questions();
    // Only when asked: without it the generator counts its stalls from its health timer.
    if (msg.explainStalls) {
      try {
        watch = await startStallWatch({ processName: 'generator' });
        watch.log.subscribe((stall) => {
          if (stall.durationMs >= watch!.log.summary().maxMs) worst = frameText(culpritFrame(stall));
        });
      } catch (err) {
        // Load still runs without it; stalls are then counted without names.
        process.stderr.write(`load-generator: stall explorer off: ${String(err)}\n`);
      }
    }
    try {
      generator = new Generator({
        target: msg.target,
        reportIntervalMs: msg.reportIntervalMs,
        allowNonLoopback: msg.allowNonLoopback,
        connectTimeoutMs: msg.connectTimeoutMs,
        onReport: (report, fd) => send({ type: 'report', report, fd }),
        ...(watch ? { stalls: ownStalls } : {}),
      });
    } catch (err) {
      send({ type: 'fatal', error: errorShape(err) });
      await shutdown(1);
      return;
    }
    send({ type: 'ready', pid: process.pid, fd: generator.fdStatus() });
    return;
  }
  if (msg.type === 'shutdown') {
    await shutdown(0);
    return;
  }
  if (msg.type === 'buckets') {
    generator?.shareBucketsOnce();
    return;
  }
  if (!generator) {
    send({
      type: 'reply',
      id: msg.id,
      error: { code: 'not_ready', message: 'The load generator has not been initialised.', details: {} },
      fd: { limit: 0, base: 0, demand: 0 },
    });
    return;
  }
  let error: ErrorShape | null = null;
  try {
    await generator.apply(msg.command);
  } catch (err) {
    error = errorShape(err);
  }
  send({ type: 'reply', id: msg.id, error, fd: generator.fdStatus() });
}

process.on('message', (raw) => {
  void handle(raw);
});
// The parent died or closed the channel: stop every client and leave.
process.on('disconnect', () => {
  void shutdown(0);
});
