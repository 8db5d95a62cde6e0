/**
 * Every error code Loopscope can raise, in one catalogue (fastify's lib/errors.js, ws's WS_ERR_*):
 * its HTTP status where it reaches a client, and the exit code a CLI maps it to. Code elsewhere
 * names an entry — a typo is a type error — and tests assert on the code, never on the message.
 *
 * Message style, for every layer: a sentence fragment for a person, lower-case, no trailing
 * period, naming the parameter and what is allowed ("cost must be an integer from 4 to 14, got 99").
 *
 * Zod-free, so the renderer and the preload can import it.
 */

/** How a CLI exits when a command ends in this error. */
export const EXIT = {
  /** What was under test failed: a threshold was breached, the server could not take its port. */
  failed: 1,
  /** The tool could not run or finish as asked: a bad flag, target or limit, a dead generator. */
  notRun: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface ErrorEntry {
  /** The HTTP status when this error answers a request. */
  readonly status: number;
  readonly exit: ExitCode;
}

export const ERRORS = {
  // ---- Wire protocol (docs/protocol.md): the codes other programs see ----
  bad_request: { status: 400, exit: EXIT.notRun },
  bad_cursor: { status: 400, exit: EXIT.notRun },
  bad_integer: { status: 400, exit: EXIT.notRun },
  not_found: { status: 404, exit: EXIT.notRun },
  method_not_allowed: { status: 405, exit: EXIT.notRun },
  cursor_expired: { status: 410, exit: EXIT.failed },
  payload_too_large: { status: 413, exit: EXIT.notRun },
  upgrade_required: { status: 426, exit: EXIT.notRun },
  internal_error: { status: 500, exit: EXIT.failed },
  upstream_failed: { status: 502, exit: EXIT.failed },
  /** The server (or the app) is closing: nothing new is taken. */
  shutting_down: { status: 503, exit: EXIT.failed },
  /** docs/protocol.md §10: the shared state (Redis) is unreachable; publishes and jobs wait for it. */
  state_unavailable: { status: 503, exit: EXIT.failed },
  /** `serve --workers N` without --redis and no redis-server on PATH. */
  no_redis_server: { status: 500, exit: EXIT.notRun },

  // ---- The engine ----
  /** The client went away before its request was read; nobody is left to answer. */
  request_aborted: { status: 400, exit: EXIT.failed },
  port_in_use: { status: 500, exit: EXIT.failed },
  /** The browser dashboard was asked for before `npm run build` made it. */
  renderer_not_built: { status: 500, exit: EXIT.failed },

  // ---- The typed API (IPC and the browser bridge) ----
  unknown_command: { status: 400, exit: EXIT.notRun },
  bad_payload: { status: 400, exit: EXIT.notRun },
  bad_frame: { status: 400, exit: EXIT.notRun },
  /** A message from outside the app's own window (Electron IPC). */
  forbidden: { status: 403, exit: EXIT.notRun },
  /** Where a heap snapshot should go is not an absolute path to an existing, writable directory. */
  bad_directory: { status: 400, exit: EXIT.notRun },

  // ---- The browser dashboard's port ----
  /** A Host header other than the dashboard's loopback address: DNS rebinding. */
  forbidden_host: { status: 403, exit: EXIT.notRun },
  /** A bridge connection from a page that is not the dashboard's. */
  forbidden_origin: { status: 403, exit: EXIT.notRun },
  /** A bridge connection without the token of this process's dashboard URL. */
  unauthorized: { status: 401, exit: EXIT.notRun },
  too_many_clients: { status: 503, exit: EXIT.notRun },

  // ---- The load generator and the `load` / `serve` CLIs ----
  usage: { status: 400, exit: EXIT.notRun },
  bad_target: { status: 400, exit: EXIT.notRun },
  /** Only loopback targets unless the user says otherwise: the generator is no attack tool. */
  non_loopback_target: { status: 400, exit: EXIT.notRun },
  bad_option: { status: 400, exit: EXIT.notRun },
  bad_command: { status: 400, exit: EXIT.notRun },
  fd_limit: { status: 503, exit: EXIT.notRun },
  /** The box cannot hold the connections asked (descriptors, ports, memory): refused before starting. */
  beyond_box_limits: { status: 503, exit: EXIT.notRun },
  not_ready: { status: 503, exit: EXIT.failed },
  generator_start_failed: { status: 500, exit: EXIT.notRun },
  generator_exited: { status: 500, exit: EXIT.notRun },
  /** `load --record`: the file could not be written to the end (a full disk); the run itself ran. */
  record_failed: { status: 500, exit: EXIT.notRun },

  // ---- attach (docs/protocol.md §11) ----
  no_such_process: { status: 404, exit: EXIT.notRun },
  /** Only processes of the same user: the inspector is code execution. */
  not_same_user: { status: 403, exit: EXIT.notRun },
  /** SIGUSR1 would kill a process that is not Node; attach signals only Node processes. */
  not_node_process: { status: 400, exit: EXIT.notRun },
  /** Only loopback inspectors. */
  non_loopback_inspector: { status: 400, exit: EXIT.notRun },
  /** The inspector did not open (its port taken by another process) or does not answer. */
  inspector_unavailable: { status: 503, exit: EXIT.failed },
  /** The inspector answered but refused what attach needs (a CDP error). */
  attach_failed: { status: 500, exit: EXIT.failed },
  /** Another attach (pid named) already watches this process: one watcher per process. */
  target_watched: { status: 409, exit: EXIT.notRun },
  /** One attach at a time in the app. */
  already_attached: { status: 409, exit: EXIT.notRun },
  /** The app watches only a pid its own list offers: never itself, its load generator or its workers. */
  not_watchable: { status: 400, exit: EXIT.notRun },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** Codes of notices the app pushes to the renderer (they are events, not errors). */
export const NOTICE_CODES = [
  'port_in_use',
  'server_moved',
  'generator_exited',
  'generator_restarted',
  'generator_warning',
  'fd_limit',
  /** The demo server restarted with another number of processes, or could not (docs/protocol.md §10). */
  'server_workers',
  /** The watched process exited, or its inspector went away: the dashboard is back on the demo server. */
  'watch_ended',
] as const;
export type NoticeCode = (typeof NOTICE_CODES)[number];

/** A failed command, as every layer carries it: a stable code plus a message for people. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
}

/**
 * Errors with a stable code, the status the catalogue gives it, and a message for people.
 * Modelled on fastify/undici errors; the one error class of every layer.
 */
export class LoopscopeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LoopscopeError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }

  get exitCode(): ExitCode {
    return ERRORS[this.code].exit;
  }
}

export function isLoopscopeError(err: unknown): err is LoopscopeError {
  return err instanceof LoopscopeError;
}

/** A LoopscopeError of one of these codes, narrowed: `if (hasCode(err, 'port_in_use')) …`. */
export function hasCode<C extends ErrorCode>(err: unknown, code: C): err is LoopscopeError & { code: C } {
  return err instanceof LoopscopeError && err.code === code;
}
