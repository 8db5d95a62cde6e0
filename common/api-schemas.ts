/**
 * Payload schemas of the typed API (common/api.ts), one per command, and the one validator every
 * receiving side runs: the IPC binding, the browser bridge and the app host. Bounds come from
 * common/limits.ts.
 */
import { z } from 'zod';
import { isCommandName, type ApiErrorShape, type CommandName } from './api';
import { loadCommandSchema } from './load-commands';
import {
  BCRYPT_COST,
  JOB_COUNT,
  JOB_WORK_MS,
  PID,
  PORT,
  QUEUE_WORKERS,
  SAMPLE_INTERVAL_MS,
  SERVER_WORKERS,
  SNAPSHOT_DIR_MAX_CHARS,
  STALL_ID,
  STALL_THRESHOLD_MS,
} from './limits';
import { intIn } from './zod-ranges';

/** Whether it is absolute, exists and is writable is checked where it is used (bad_directory). */
const snapshotDir = z
  .string()
  .min(1)
  .max(SNAPSHOT_DIR_MAX_CHARS)
  .refine((dir) => !dir.includes('\0'), 'must not contain a NUL character');

export const commandSchemas = {
  getInfo: z.object({}).strict(),
  setServerPort: z.object({ port: intIn(PORT) }).strict(),
  // The app host narrows the top to this machine's cores (the renderer cannot know them).
  setServerWorkers: z.object({ count: intIn(SERVER_WORKERS) }).strict(),
  killServerWorker: z.object({}).strict(),
  setTarget: z.object({ url: z.string().url().nullable() }).strict(),
  load: loadCommandSchema,
  enqueueJobs: z.object({ count: intIn(JOB_COUNT), workMs: intIn(JOB_WORK_MS) }).strict(),
  setWorkers: z.object({ workers: intIn(QUEUE_WORKERS) }).strict(),
  runBcrypt: z.object({ cost: intIn(BCRYPT_COST), mode: z.enum(['loop', 'pool']) }).strict(),
  setSampleInterval: z.object({ ms: intIn(SAMPLE_INTERVAL_MS) }).strict(),
  setStallThreshold: z.object({ thresholdMs: intIn(STALL_THRESHOLD_MS) }).strict(),
  listProcesses: z.object({}).strict(),
  // Only a pid and a threshold: nothing in a command is ever evaluated in the watched process.
  watchProcess: z.object({ pid: intIn(PID), stallMs: intIn(STALL_THRESHOLD_MS).optional() }).strict(),
  unwatchProcess: z.object({}).strict(),
  stallProfile: z.discriminatedUnion('source', [
    z.object({ source: z.literal('server'), id: intIn(STALL_ID) }).strict(),
    z.object({ source: z.literal('watch'), pid: intIn(PID), id: intIn(STALL_ID) }).strict(),
  ]),
  // Only the directory comes from the page: the file's name is the app's (heap-PID-TIME).
  heapSnapshot: z.discriminatedUnion('source', [
    z.object({ source: z.literal('server'), dir: snapshotDir.optional() }).strict(),
    z.object({ source: z.literal('watch'), pid: intIn(PID), dir: snapshotDir.optional() }).strict(),
  ]),
  recordingMeta: z.object({}).strict(),
} as const satisfies Record<CommandName, z.ZodType>;

export type CommandPayload<K extends CommandName> = z.input<(typeof commandSchemas)[K]>;
export type ParsedCommandPayload<K extends CommandName> = z.output<(typeof commandSchemas)[K]>;

export type ValidationResult<K extends CommandName> =
  { ok: true; name: K; payload: ParsedCommandPayload<K> } | { ok: false; error: ApiErrorShape };

/**
 * Longest stretch of untrusted input an error message quotes back. A reply that echoed a 60 KB
 * command name in full let a client that never reads its replies grow the app's memory by the
 * size of everything it sent.
 */
export const MAX_ECHOED_CHARS = 200;

function clip(text: string): string {
  return text.length <= MAX_ECHOED_CHARS ? text : `${text.slice(0, MAX_ECHOED_CHARS)}…`;
}

/** Checks an untrusted (name, payload) pair; never throws. */
export function validateCommand(name: unknown, payload: unknown): ValidationResult<CommandName> {
  if (!isCommandName(name)) {
    // Only a string is quoted: JSON.stringify would throw on a BigInt sent over IPC.
    const shown = typeof name === 'string' ? JSON.stringify(clip(name)) : `of type ${typeof name}`;
    return { ok: false, error: { code: 'unknown_command', message: `unknown command ${shown}` } };
  }
  const parsed = commandSchemas[name].safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'payload';
    // Zod quotes offending keys ('Unrecognized key: "…"'), so the detail is clipped too.
    return {
      ok: false,
      error: {
        code: 'bad_payload',
        message: `${name}: ${clip(`${where} ${issue?.message ?? 'is invalid'}`)}`,
      },
    };
  }
  return { ok: true, name, payload: parsed.data } as ValidationResult<CommandName>;
}
