/**
 * Schemas of the load generator's commands: every command crossing into the generator (from the
 * app, the browser bridge or the `load` CLI) is parsed with these. The types are inferred from
 * them, so schema and type cannot drift; the limits come from common/limits.ts.
 */
import { z } from 'zod';
import { CLIENT_KINDS, isRequestPath } from './load';
import { intIn, numberIn } from './zod-ranges';
import {
  CLIENT_COUNT,
  CLIENT_INTERVAL_MS,
  IN_FLIGHT,
  JOB_COUNT,
  JOB_RATE_PER_S,
  JOB_WORK_MS,
  PUBLISH_RATE_PER_S,
  RAMP_PER_S,
  REQUEST_PATH_MAX_CHARS,
  SLOW_MS,
} from './limits';

const count = intIn(CLIENT_COUNT);
const kind = z.enum(CLIENT_KINDS);

/** Per-kind behaviour; each kind reads the fields that concern it. */
export const kindOptionsSchema = z
  .object({
    /**
     * ws-prime/ws-echo: ms between messages per client; 0 holds the connection idle, or with
     * inFlight set is a closed loop (the next message as soon as a reply arrives).
     * http/publisher/job-producer: ms between requests per client; 0 is a closed loop (the next
     * request as soon as a reply arrives).
     */
    intervalMs: intIn(CLIENT_INTERVAL_MS).optional(),
    /**
     * http/publisher/job-producer/ws-prime/ws-echo: requests each client (one connection) keeps
     * outstanding at most (ws kinds without it: up to 1,000, and intervalMs 0 is idle).
     */
    inFlight: intIn(IN_FLIGHT).optional(),
    /** http: which path to request; ws-echo: which path to connect to (any absolute path; see isRequestPath). */
    path: z
      .string()
      .refine((p) => isRequestPath(p, REQUEST_PATH_MAX_CHARS), {
        message: `must be an absolute path of printable ASCII, at most ${REQUEST_PATH_MAX_CHARS} characters`,
      })
      .optional(),
    /** http /slow and /aggregate: the ms parameter. */
    slowMs: intIn(SLOW_MS).optional(),
    /** job-producer: jobs per POST and their workMs. */
    jobsPerRequest: intIn(JOB_COUNT).optional(),
    workMs: intIn(JOB_WORK_MS).optional(),
  })
  .strict();
export type KindOptions = z.infer<typeof kindOptionsSchema>;

export const loadCommandSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('spawn'),
      kind,
      count: count.min(1),
      /** New clients per second; 0 means all at once. */
      rampPerS: numberIn(RAMP_PER_S).default(0),
      options: kindOptionsSchema.optional(),
    })
    .strict(),
  z.object({ type: z.literal('stop'), kind, count: count.min(1) }).strict(),
  z.object({ type: z.literal('stopAll') }).strict(),
  z.object({ type: z.literal('configure'), kind, options: kindOptionsSchema }).strict(),
  /** Publish to the feed at this many messages per second in total (0 stops). */
  z.object({ type: z.literal('publishRate'), perS: numberIn(PUBLISH_RATE_PER_S) }).strict(),
  /** POST /jobs at this many requests per second (0 stops). */
  z
    .object({
      type: z.literal('jobRate'),
      perS: numberIn(JOB_RATE_PER_S),
      jobsPerRequest: intIn(JOB_COUNT).default(1),
      workMs: intIn(JOB_WORK_MS).default(0),
    })
    .strict(),
  /**
   * Start measuring afresh, in every generator process, with the clients left running (the end of
   * a warm-up): each kind's sent, received and cumulative rtt and delivery count from now on, the
   * latencies only for requests and publishes due from now on. Connections, connect times,
   * failures and integrity counts keep counting from the generator's start.
   */
  z.object({ type: z.literal('restartMeasurement') }).strict(),
  /**
   * Stop every client, remembering how many of each kind ran and the publish and job rates: a
   * server about to restart on the same port. The next `target` with `keepClients` starts them again.
   */
  z.object({ type: z.literal('hold') }).strict(),
  /**
   * Point every client at another server. Existing clients stop first; with `keepClients` as many of
   * each kind (those held, or those running) start again against it, and the rates carry on.
   */
  z
    .object({ type: z.literal('target'), url: z.string().url(), keepClients: z.boolean().optional() })
    .strict(),
]);
export type LoadCommand = z.input<typeof loadCommandSchema>;
export type ParsedLoadCommand = z.output<typeof loadCommandSchema>;
