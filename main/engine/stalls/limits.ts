/**
 * Every limit of the stall explorer, stated once. The engine, the routes, the CLI flags, the
 * typed API and the dashboard read them from here (PROTOCOL.md §9 fixes the threshold range and
 * the list cap).
 */

/** A stall is a stretch with no event-loop callback for longer than this (ms). */
export const DEFAULT_STALL_THRESHOLD_MS = 100;
export const MIN_STALL_THRESHOLD_MS = 20;
export const MAX_STALL_THRESHOLD_MS = 5_000;

/** GET /stalls lists at most this many, the newest. */
export const STALL_LIST_MAX = 100;
/** A snapshot carries at most this many new stalls, so its size stays fixed. */
export const SNAPSHOT_STALLS_MAX = 10;

/** How often the loop writes its heartbeat, and how often the watchdog reads it (ms). */
export const HEARTBEAT_MS = 5;
export const WATCH_POLL_MS = 5;

/**
 * V8's CPU profiler runs all the time at this sampling interval (µs). It must already be running
 * when a stall begins: a `Profiler.start` sent on detection is served only when JavaScript runs,
 * so it would miss a native call (bcrypt's hashSync) entirely. 10 ms costs nothing measurable
 * (bench/RESULTS.md, "stalls") and still gives 20 samples to a 200 ms stall.
 */
export const PROFILE_INTERVAL_US = 10_000;
/** Without a stall the profile is restarted this often, so what it buffers stays small (ms). */
export const PROFILE_ROTATE_MS = 10_000;

/**
 * A pause served later than this after it was asked for was not served while the stall ran
 * JavaScript (V8 serves it by interrupt within a few ms then): its stack is not the culprit (ms).
 */
export const PAUSE_PROMPT_MS = 50;

/** How long close() waits for the watchdog to disconnect before terminating it (ms). */
export const WATCHDOG_CLOSE_MS = 500;
