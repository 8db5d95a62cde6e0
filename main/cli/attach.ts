/**
 * `npm run attach -- --pid P | --inspect 127.0.0.1:PORT [--json] [--duration S] [--stall-ms N]`:
 * watches a Node process Loopscope does not host (docs/protocol.md §11). With --json, the attach
 * stream on stdout, one object per line; without, a live one-line view on a terminal, a line per
 * stall, and at the end the top blockers by function.
 *
 * Ends on --duration, Ctrl-C / SIGTERM or the target's exit, always through detach: the sampler
 * is removed from the target and an inspector port attach opened is closed.
 */
import type { AttachEvent, AttachSample } from '../../common/attach';
import { LoopscopeError } from '../../common/errors';
import { ATTACH_DURATION_S, PID, PORT, STALL_THRESHOLD_MS } from '../../common/limits';
import { culpritFrame, frameText, type Stall } from '../../common/stalls';
import { Attachment, type AttachOptions } from '../attach/watcher';
import { intFlag, parseFlags } from './flags';

export const ATTACH_USAGE =
  'usage: npm run attach -- (--pid P | --inspect 127.0.0.1:PORT) [--json] ' +
  `[--duration S (${ATTACH_DURATION_S.min}..${ATTACH_DURATION_S.max}; default: until Ctrl-C or the process exits)] ` +
  `[--stall-ms N (${STALL_THRESHOLD_MS.min}..${STALL_THRESHOLD_MS.max}, default ${STALL_THRESHOLD_MS.default})] ` +
  "[--no-diagnosis (no 'why clients wait' probes in the process)]";

const OPTIONS = {
  pid: { type: 'string' },
  inspect: { type: 'string' },
  json: { type: 'boolean' },
  duration: { type: 'string' },
  'stall-ms': { type: 'string' },
  'no-diagnosis': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface AttachFlags {
  target: Pick<AttachOptions, 'pid' | 'inspect'>;
  json: boolean;
  durationS: number | undefined;
  stallMs: number;
  diagnose: boolean;
}

export function parseAttachFlags(argv: string[]): AttachFlags | null {
  const { values } = parseFlags(argv, OPTIONS);
  if (values.help) return null;
  const pid = intFlag(values, 'pid', PID);
  const inspect = values.inspect;
  if ((pid === undefined) === (inspect === undefined))
    throw new LoopscopeError('usage', 'give exactly one of --pid P and --inspect HOST:PORT');
  let target: AttachFlags['target'] = { pid };
  if (inspect !== undefined) {
    const m = /^(\[::1\]|[^:]+):(\d+)$/.exec(inspect);
    if (!m) throw new LoopscopeError('usage', `--inspect must be HOST:PORT, got ${JSON.stringify(inspect)}`);
    const port = intFlag({ port: m[2] }, 'port', PORT)!;
    target = { inspect: { host: m[1]!, port } };
  }
  return {
    target,
    json: values.json === true,
    durationS: intFlag(values, 'duration', ATTACH_DURATION_S),
    stallMs: intFlag(values, 'stall-ms', STALL_THRESHOLD_MS) ?? STALL_THRESHOLD_MS.default!,
    diagnose: values['no-diagnosis'] !== true,
  };
}

function sampleLine(pid: number, s: AttachSample, stalls: number): string {
  const d = s.loopDelayMs;
  const mb = (s.heapUsedBytes / 1024 / 1024).toFixed(1);
  return (
    `pid ${pid}  loop delay p50 ${d.p50.toFixed(1)} p99 ${d.p99.toFixed(1)} max ${d.max.toFixed(1)} ms  ` +
    `util ${(s.utilization * 100).toFixed(0)} %  heap ${mb} MB  tcp ${s.handles.tcp ?? 0}  stalls ${stalls}`
  );
}

/** Top blockers: stalls grouped by the frame that names them, by total time. */
export function topBlockers(stalls: Stall[], n = 5): string[] {
  const by = new Map<string, { count: number; totalMs: number; maxMs: number }>();
  for (const s of stalls) {
    const key = frameText(culpritFrame(s));
    const e = by.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
    e.count++;
    e.totalMs += s.durationMs;
    e.maxMs = Math.max(e.maxMs, s.durationMs);
    by.set(key, e);
  }
  return [...by]
    .sort((a, b) => b[1].totalMs - a[1].totalMs)
    .slice(0, n)
    .map(
      ([key, e]) =>
        `  ${e.totalMs.toFixed(0).padStart(7)} ms  ${String(e.count).padStart(4)} × (max ${e.maxMs.toFixed(0)} ms)  ${key}`,
    );
}

export async function run(argv: string[]): Promise<number> {
  let flags: AttachFlags | null;
  try {
    flags = parseAttachFlags(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${ATTACH_USAGE}`);
    return 2;
  }
  if (!flags) {
    console.log(ATTACH_USAGE);
    return 0;
  }
  const { json } = flags;
  const live = !json && process.stdout.isTTY === true;
  const stalls: Stall[] = [];
  let pid = flags.target.pid ?? 0;
  let readerGone = false;
  const onEvent = (e: AttachEvent): void => {
    if (readerGone) return;
    if (json) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    switch (e.type) {
      case 'attached':
        pid = e.pid;
        console.log(
          `attached to pid ${e.pid} (node ${e.nodeVersion}) through ${e.inspector}` +
            `${e.openedInspector ? ' (opened by attach; closed on detach)' : ''}; stalls over ${e.stallThresholdMs} ms` +
            `${e.stallsFrom === 'target' ? ", caught by the process's own stall explorer" : ''}`,
        );
        break;
      case 'sample':
        if (live) process.stdout.write(`\r${sampleLine(pid, e, stalls.length)}\x1b[K`);
        break;
      case 'stall': {
        const { type: _type, ...stall } = e;
        stalls.push(stall);
        const line = `stall ${e.durationMs.toFixed(1)} ms: ${frameText(culpritFrame(e))} (stack from ${e.stackFrom})`;
        process.stdout.write(live ? `\r${line}\x1b[K\n` : `${line}\n`);
        break;
      }
      case 'diagnosis': {
        const line = `${e.endedAt === null ? 'why clients wait' : 'ended'} [${e.cause}] ${e.summary}`;
        process.stdout.write(live ? `\r${line}\x1b[K\n` : `${line}\n`);
        break;
      }
      case 'detached':
        if (live) process.stdout.write('\n');
        console.log(
          `detached from pid ${e.pid} (${e.reason.replace('_', ' ')})` +
            (e.inspectorClosed === null
              ? ''
              : e.inspectorClosed
                ? '; inspector closed'
                : '; inspector still open'),
        );
        break;
    }
  };

  let attachment: Attachment;
  try {
    attachment = await Attachment.start({
      ...flags.target,
      stallMs: flags.stallMs,
      diagnose: flags.diagnose,
      onEvent,
      onNotice: (text) => console.error(`attach: ${text}`),
    });
  } catch (err) {
    const e = err instanceof LoopscopeError ? err : new LoopscopeError('attach_failed', String(err));
    console.error(`attach: ${e.message} (${e.code})`);
    return e.exitCode;
  }
  // Whoever read the stream went away (a closed pipe): stop writing, and still detach cleanly —
  // crashing here would leave the sampler and the inspector port in the target.
  process.stdout.on('error', () => {
    readerGone = true;
    void attachment.detach('request');
  });
  // A bug here must not leave the target as it is now: a pause asked for and never resumed keeps
  // it paused for good (seen when attach died mid-stall). Detach first, then report and exit.
  const onCrash = (err: unknown): void => {
    console.error(`attach: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void attachment.detach('connection_lost').finally(() => process.exit(1));
  };
  process.once('uncaughtException', onCrash);
  process.once('unhandledRejection', onCrash);
  const onSignal = (): void => void attachment.detach('signal');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer =
    flags.durationS === undefined
      ? null
      : setTimeout(() => void attachment.detach('duration'), flags.durationS * 1000);
  const detached = await attachment.done;
  if (timer) clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (!json) {
    const total = stalls.reduce((t, s) => t + s.durationMs, 0);
    console.log(`${stalls.length} stall(s), ${total.toFixed(0)} ms blocked in all`);
    if (stalls.length > 0) console.log(['top blockers:', ...topBlockers(stalls)].join('\n'));
  }
  return detached.reason === 'connection_lost' ? 1 : 0;
}
