/**
 * The typed IPC between the controller (parent) and a generator process (child). Both sides
 * validate what they receive with these schemas: a process boundary is a trust boundary, and a
 * malformed message must fail loudly, not as an undefined somewhere later.
 */
import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../../common/errors';
import { CLIENT_KINDS, type KindReport, type LoadReport } from '../../common/load';
import { loadCommandSchema } from '../../common/load-commands';

const latency = z
  .object({
    count: z.number(),
    p50Ms: z.number(),
    p99Ms: z.number(),
    maxMs: z.number(),
    // [index, count, …] of a histogram with the layout of main/load/latency-histogram.ts.
    buckets: z.array(z.number().int().nonnegative()).max(2_000_000).optional(),
  })
  .strict();

const kindReport = z
  .object({
    kind: z.enum(CLIENT_KINDS),
    active: z.number(),
    pending: z.number(),
    opened: z.number(),
    closed: z.number(),
    failures: z.record(z.string(), z.number()),
    sent: z.number(),
    received: z.number(),
    sentPerS: z.number(),
    receivedPerS: z.number(),
    rtt: latency,
    delivery: latency,
    connect: latency.optional(),
    integrity: z
      .object({
        wrong: z.number(),
        missing: z.number(),
        duplicated: z.number(),
        outOfOrder: z.number(),
        expiredLost: z.number(),
      })
      .strict(),
    cumulative: z
      .object({ rtt: latency, delivery: latency, connect: latency.optional() })
      .strict()
      .optional(),
  })
  .strict() satisfies z.ZodType<KindReport>;

export const loadReportSchema = z
  .object({
    time: z.number(),
    intervalMs: z.number(),
    target: z.string(),
    kinds: z.object(
      Object.fromEntries(CLIENT_KINDS.map((k) => [k, kindReport])) as Record<
        (typeof CLIENT_KINDS)[number],
        typeof kindReport
      >,
    ),
    generator: z
      .object({
        processes: z.number(),
        eventLoopP99Ms: z.number(),
        cpuPercent: z.number(),
        warning: z.string().nullable(),
        stalls: z
          .object({ count: z.number(), totalMs: z.number(), maxMs: z.number(), worst: z.string().nullable() })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict() satisfies z.ZodType<LoadReport>;

const fdStatus = z.object({ limit: z.number(), base: z.number(), demand: z.number() }).strict();

const errorShape = z
  .object({
    code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .strict();

export const toChildSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('init'),
      target: z.string(),
      reportIntervalMs: z.number().int().min(50).max(60_000),
      allowNonLoopback: z.boolean(),
      connectTimeoutMs: z.number().int().min(100).max(600_000),
      explainStalls: z.boolean().optional(),
    })
    .strict(),
  z.object({ type: z.literal('command'), id: z.number().int(), command: loadCommandSchema }).strict(),
  z.object({ type: z.literal('shutdown') }).strict(),
  /** The next report carries the cumulative latencies' buckets, for an exact merge (the final one). */
  z.object({ type: z.literal('buckets') }).strict(),
]);
export type ToChild = z.input<typeof toChildSchema>;

export const fromChildSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pid: z.number(), fd: fdStatus }).strict(),
  z
    .object({ type: z.literal('reply'), id: z.number().int(), error: errorShape.nullable(), fd: fdStatus })
    .strict(),
  z.object({ type: z.literal('report'), report: loadReportSchema, fd: fdStatus }).strict(),
  /** The child could not start (bad init); it exits after sending this. */
  z.object({ type: z.literal('fatal'), error: errorShape }).strict(),
]);
export type FromChild = z.infer<typeof fromChildSchema>;
export type ErrorShape = z.infer<typeof errorShape>;
