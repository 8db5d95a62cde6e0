/**
 * Entry point of the app's attach process (forked by attach-process.ts via
 * entryPoint('attach-watcher')): watches one Node process for the app, in a process of its own.
 *
 * Why not in the app's process: while a stall is open, the watched process sits paused until this
 * side resumes it, so whatever stalls the app's loop (bcrypt run on the demo server's loop, the
 * demo server's own stall explorer pausing it) would stall the watched process too, and delay or
 * lose the naming of its stalls. Here nothing else runs on the loop.
 *
 * It detaches — sampler removed, the inspector port it opened closed — when told to, on SIGINT or
 * SIGTERM (Ctrl-C reaches the whole process group), and when the app goes away (the channel
 * closes); then it exits.
 */
import { isLoopscopeError } from '../../common/errors';
import type { DetachReason } from '../../common/attach';
import { PID, STALL_THRESHOLD_MS } from '../../common/limits';
import type { FromAttachChild, ToAttachChild } from './child-messages';
import { Attachment } from './watcher';

let attachment: Attachment | null = null;
/** Settles when the attach under way has started or failed: detach must wait for it to undo it. */
let starting: Promise<void> | null = null;
let leaving = false;

function send(msg: FromAttachChild): void {
  if (process.connected) process.send!(msg);
}

const inRange = (n: unknown, r: { min: number; max: number }): n is number =>
  Number.isInteger(n) && (n as number) >= r.min && (n as number) <= r.max;

async function leave(reason: DetachReason): Promise<void> {
  if (leaving) return;
  leaving = true;
  await starting;
  await attachment?.detach(reason);
  // The detached event is on its way to the app before the channel closes.
  if (process.connected) process.disconnect();
  process.exit(0);
}

function watch(pid: number, stallMs: number): void {
  starting = (async () => {
    try {
      attachment = await Attachment.start({
        pid,
        stallMs,
        onEvent: (event) => send({ type: 'event', event }),
        onStallProfile: (id, profile) => send({ type: 'profile', id, profile }),
      });
    } catch (err) {
      // Attachment.start has undone what it did (the port it opened is closed).
      send({
        type: 'failed',
        error: isLoopscopeError(err)
          ? { code: err.code, message: err.message }
          : { code: 'attach_failed', message: String(err) },
      });
    }
  })();
  void starting.then(() => {
    // Failed, or (later) the target exited or the connection was lost: detached was sent.
    if (!attachment) void leave('connection_lost');
    else void attachment.done.then(() => leave('target_exited'));
  });
}

function snapshot(id: number, file: string): void {
  if (!attachment || leaving) {
    const error = { code: 'inspector_unavailable' as const, message: 'no process is watched' };
    send({ type: 'heapSnapshot', id, error });
    return;
  }
  attachment.heapSnapshot(file).then(
    ({ bytes, ms }) => send({ type: 'heapSnapshot', id, bytes, ms }),
    (err: unknown) =>
      send({
        type: 'heapSnapshot',
        id,
        error: isLoopscopeError(err)
          ? { code: err.code, message: err.message }
          : { code: 'attach_failed', message: `heap snapshot failed: ${String(err)}` },
      }),
  );
}

process.on('message', (raw: ToAttachChild) => {
  if (
    raw?.type === 'watch' &&
    !starting &&
    inRange(raw.pid, PID) &&
    inRange(raw.stallMs, STALL_THRESHOLD_MS)
  ) {
    watch(raw.pid, raw.stallMs);
  } else if (raw?.type === 'detach') {
    void leave('request');
  } else if (raw?.type === 'heapSnapshot' && Number.isInteger(raw.id) && typeof raw.file === 'string') {
    snapshot(raw.id, raw.file);
  }
});
process.on('disconnect', () => void leave('request'));
process.once('SIGINT', () => void leave('signal'));
process.once('SIGTERM', () => void leave('signal'));
// A bug here must not leave the target paused or instrumented: detach first, then report.
const onCrash = (err: unknown): void => {
  process.stderr.write(
    `attach-watcher: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  void (attachment?.detach('connection_lost') ?? Promise.resolve()).finally(() => process.exit(1));
};
process.once('uncaughtException', onCrash);
process.once('unhandledRejection', onCrash);
