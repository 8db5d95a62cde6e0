/**
 * Every limit Loopscope enforces or offers, stated once. The engine enforces these, the CLIs parse
 * flags against them, the zod schemas are built from them and the renderer sizes its inputs with
 * them — so a limit changes here and nowhere else. Zod-free on purpose: the renderer and the
 * preload import it without bundling a validator.
 *
 * Protocol limits (docs/protocol.md) are marked so; changing one of those changes the wire contract.
 */

/** An inclusive integer range, with the value used when the caller gives none. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
  /** Omitted: the value is required. */
  readonly default?: number;
}

function range(min: number, max: number, defaultValue?: number): IntRange {
  return defaultValue === undefined ? { min, max } : { min, max, default: defaultValue };
}

const KIB = 1024;
const MIB = 1024 * KIB;

// ---- The demo server (docs/protocol.md §1–9) ----

/** Protocol: a request body over this is refused with 413. */
export const BODY_LIMIT_BYTES = 64 * KIB;
/** Protocol §2: GET /slow?ms=N. */
export const SLOW_MS = range(0, 60_000, 100);
/** Protocol §3: GET /aggregate?calls=K. */
export const AGGREGATE_CALLS = range(1, 50, 5);
/** Protocol §4: a /ws/prime frame over this closes the socket with 1009. */
export const WS_FRAME_BYTES = KIB;
/** Protocol §4: digits in one number sent to /ws/prime. */
export const PRIME_MAX_DIGITS = 24;
/** Protocol §5: messages the feed retains. */
export const FEED_CAPACITY = 10_000;
/** Protocol §5a: messages in one long-poll reply. */
export const MESSAGES_PER_REPLY = 1_000;
/** Protocol §5a: GET /feed/poll?timeout=T, in seconds. */
export const POLL_TIMEOUT_S = range(1, 120, 25);
/** Protocol §5b/5c: a follower whose unsent backlog passes this is closed (1013 / end of stream). */
export const UNSENT_BACKLOG_BYTES = MIB;
/** Protocol §6: jobs in one POST /jobs. */
export const JOB_COUNT = range(1, 100_000);
/** Protocol §6: simulated I/O per job. */
export const JOB_WORK_MS = range(0, 10_000);
/** Protocol §6: the queue's worker count (PUT /jobs/workers). */
export const QUEUE_WORKERS = range(1, 1_000, 4);
/** Protocol §6: jobs the queue holds. */
export const QUEUE_CAPACITY = 1_000;
/** Protocol §10: `serve --workers N`, server processes behind one port (`auto`: one per core). */
export const SERVER_WORKERS = range(1, 64, 1);
/** Protocol §10: a replaced server process is running again within this long (the tests' bound). */
export const WORKER_REPLACE_MS = 5_000;
/** A server process that stops renewing its lease for this long is dead: its running jobs move on. */
export const STATE_LEASE_MS = 3_000;
/** Protocol §7: bcrypt cost. */
export const BCRYPT_COST = range(4, 14, 10);
/** The dashboard's "× N": bcrypt runs one click sends in a row (each one command, stoppable between). */
export const BCRYPT_RUNS = range(1, 20, 1);
/** Protocol §7: bcrypt password length in bytes. */
export const BCRYPT_PASSWORD_BYTES = range(1, 72);
/** Protocol §9: stall threshold. */
export const STALL_THRESHOLD_MS = range(20, 5_000, 100);
/** Protocol §9: GET /stalls lists at most this many, the newest. */
export const STALL_LIST_MAX = 100;
/** A stall's id (§9: numbered from 1 by the process that lists it). */
export const STALL_ID = range(1, Number.MAX_SAFE_INTEGER);
/** The longest directory path the heapSnapshot command takes (Linux's PATH_MAX). */
export const SNAPSHOT_DIR_MAX_CHARS = 4_096;
/** A snapshot carries at most this many new stalls, so its size stays fixed. */
export const SNAPSHOT_STALLS_MAX = 10;

// ---- Slow and silent clients, and the descriptor budget (main/engine/server/socket-limits.ts) ----

/** A client gets this long to send its request line and headers (silent sockets included). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** ...and this long for the whole request, body included (held polls, SSE and ws are not cut). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this long (node's own default), as Keep-Alive says. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * ...but the server holds it at least this much longer than it says: a client that reuses the
 * connection just before the advertised time must not meet the close on its way (an ECONNRESET).
 * Node 20.20 adds a second of its own (measured: `timeout=2` advertised, closed after 3.0 s); a
 * Node that does not would race, so the grace is added here whatever node does.
 */
export const KEEP_ALIVE_GRACE_MS = 1_000;
/** How often node:http looks for expired requests: the timeouts above are this coarse. */
export const TIMEOUT_CHECK_MS = 1_000;
/** `serve --max-sockets`: the open-socket cap; 0 = none of the server's own. */
export const MAX_SOCKETS = range(0, 10_000_000);
/**
 * The server's default socket cap leaves this many of its descriptors free for everything that is
 * not a client socket (the larger of the two): /proc reads, files, workers' pipes, Redis.
 */
export const SERVER_FD_RESERVE = { min: 64, fraction: 0.1 } as const;

// ---- The engine's own settings ----

/** The sampler's window: one snapshot per interval. */
export const SAMPLE_INTERVAL_MS = range(250, 60_000, 1_000);

// ---- The load generator ----

/**
 * Each generator process keeps this many descriptors free under its limit when it counts the
 * sockets it may still open (main/load/fd-limit.ts): the IPC channel, stdio, DNS, the odd file.
 */
export const GENERATOR_FD_RESERVE = 64;

// ---- Capacity planning (main/load/capacity.ts): what a connection and a process cost ----

/** `serve --connections N`: the concurrent connections to plan the server processes for. */
export const PLANNED_CONNECTIONS = range(1, 1_000_000);
/** Descriptors a Node process holds before its first socket (stdio, IPC, epoll, libuv's own). */
export const PROCESS_BASE_FDS = 48;
/** RSS of a generator or server process before its connections (measured: ~70–110 MB). */
export const PROCESS_BASE_BYTES = 128 * 2 ** 20;
/** RSS per connection in the generator: 5.4 KB at rest in the 100,000 run (bench/RESULTS.md), doubled and more for buffers under load. */
export const GENERATOR_BYTES_PER_CONNECTION = 16 * 1024;
/** RSS per connection in the server: 7.6 KB at rest in the 100,000 run (bench/RESULTS.md), doubled for buffers under load. */
export const SERVER_BYTES_PER_CONNECTION = 16 * 1024;

/** Clients of one kind spawned or stopped by one command. */
export const CLIENT_COUNT = range(0, 100_000);
/** New clients per second while ramping; 0 = all at once. */
export const RAMP_PER_S = range(0, 100_000, 0);
/** Per-client interval between requests or numbers; 0 holds a ws-prime connection idle. */
export const CLIENT_INTERVAL_MS = range(0, 600_000);
/** Requests one http/publisher/job-producer client keeps outstanding on its connection (pipelined beyond 1). */
export const IN_FLIGHT = range(1, 1_024, 1);
/** Feed publishes per second across all publishers. */
export const PUBLISH_RATE_PER_S = range(0, 10_000);
/** POST /jobs requests per second. */
export const JOB_RATE_PER_S = range(0, 1_000);
/** How often the generator reports. */
export const REPORT_INTERVAL_MS = range(50, 60_000, 250);
/** How long a client may take to connect before it counts as a failure. */
export const CONNECT_TIMEOUT_MS = range(100, 600_000, 10_000);
/** The http kind's path: any absolute path of printable ASCII up to this long. */
export const REQUEST_PATH_MAX_CHARS = 2_048;
/** `load --duration`, in seconds. */
export const LOAD_DURATION_S = range(1, 3_600, 10);
/** `load --warmup`, in seconds of load before the measurement starts (0: none). */
export const LOAD_WARMUP_S = range(0, 3_600, 0);
/** `load --processes`: generator processes. */
export const GENERATOR_PROCESSES = range(1, 16);

// ---- attach: watching a Node process Loopscope does not host (docs/protocol.md §11) ----

/** A Linux pid (the kernel's pid_max ceiling): `attach --pid` and the app's watchProcess. */
export const PID = range(1, 4_194_304);
/** `attach --duration`, in seconds (absent: until Ctrl-C or the target exits). */
export const ATTACH_DURATION_S = range(1, 86_400);
/** Where a Node process opens its inspector on SIGUSR1 (node's own default). */
export const DEFAULT_INSPECTOR_PORT = 9229;
/**
 * A process that asked node for a random inspector port (`--inspect=0`): at most this many of its
 * listening ports are asked for /json/list when looking for its inspector.
 */
export const RANDOM_INSPECTOR_PORTS_ASKED = 8;
/**
 * How long attach waits for a signalled process to open its inspector before it says it is still
 * waiting; then how long it waits in all. Node opens the port from its event loop, so a process
 * blocked at attach time (a long native call) opens it only once the call returns: attach waits
 * for that rather than leave, because a port opening after attach left would stay open.
 */
export const INSPECTOR_OPEN_TIMEOUT_MS = 5_000;
export const INSPECTOR_LATE_OPEN_MS = 30_000;
/** A CDP command the target does not answer in this long fails (not the probe: it waits on the loop). */
export const CDP_COMMAND_TIMEOUT_MS = 10_000;
/** A sample of the watched process about this often (§11: about once a second). */
export const ATTACH_SAMPLE_MS = 1_000;
/**
 * The loop probe: an awaited setImmediate sent this long after the previous one answered. Each
 * probe is a Runtime.evaluate the target serves on its loop: at a 10 ms gap they cost a busy
 * target ~10 % of its CPU per reply. A longer gap does not delay detection (a stall is timed from
 * the last answer before it), it only makes the stall's start less precise.
 */
export const ATTACH_PROBE_GAP_MS = 50;

// ---- The dashboard's own cost ----

/** Points per series a chart draws at most: longer windows are reduced to min/max per bucket of rows. */
export const CHART_MAX_POINTS = 240;
/**
 * How often a chart window is redrawn at most, by window length: a long window moves a pixel in
 * seconds. Even the 1 min window is redrawn every 2 s: redrawing six charts every second cost the
 * renderer 12-17 % of its main thread (bench/RESULTS.md). A bcrypt run started here redraws at once.
 */
export const CHART_REDRAW_MS: readonly { readonly windowMs: number; readonly everyMs: number }[] = [
  { windowMs: 60_000, everyMs: 2_000 },
  { windowMs: 300_000, everyMs: 2_000 },
  { windowMs: Infinity, everyMs: 5_000 },
];

// ---- Ports ----

export const PORT = range(0, 65_535);
export const DEFAULT_SERVER_PORT = 8888;
export const DEFAULT_DASHBOARD_PORT = 8890;

/** "an integer from 1 to 50" — the one wording every layer uses for a range. */
export function describeRange(r: IntRange): string {
  return `an integer from ${r.min} to ${r.max}`;
}

/** "a number from 0 to 10000" — the same, for a value that may be fractional (a rate). */
export function describeDecimalRange(r: IntRange): string {
  return `a number from ${r.min} to ${r.max}`;
}
