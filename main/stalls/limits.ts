/**
 * The stall explorer's own tuning: how the watchdog and the profiler work. What users see and set
 * (the threshold range, the list caps) is in common/limits.ts with every other limit.
 */

/** How often the loop writes its heartbeat, and how often the watchdog reads it (ms). */
export const HEARTBEAT_MS = 5;
export const WATCH_POLL_MS = 5;

/**
 * V8's CPU profiler runs all the time at this sampling interval (µs). It must already be running
 * when a stall begins: a `Profiler.start` sent on detection is served only when JavaScript runs,
 * so it would miss a native call (bcrypt's hashSync) entirely. Measured on a quiet machine
 * (bench/RESULTS.md, "stalls"): at 10 ms it cost 15 % server CPU per hello reply; at 50 ms the
 * difference is inside the noise, and a 200 ms stall still gets about 4 samples — enough to name
 * it (50 of 50 stalls, native and JavaScript, named right).
 */
export const PROFILE_INTERVAL_US = 50_000;
/** Without a stall the profile is restarted this often, so what it buffers stays small (ms). */
export const PROFILE_ROTATE_MS = 10_000;

/**
 * A stall's own profile (GET /stalls/ID/profile) is kept for each of the latest STALL_LIST_MAX
 * stalls, so its size is capped: at most this many samples (3 minutes of stall at 50 ms; a longer
 * one keeps every k-th sample, standing for the k before it)...
 */
export const STALL_PROFILE_SAMPLES_MAX = 4_000;
/**
 * ...and this many nodes (a real stack is rarely 100 deep; past the cap a sample is put on its
 * deepest ancestor already kept). Together: at most ~0.3 MB a stall, ~30 MB for 100, and a few KB
 * for a typical stall of a few hundred ms.
 */
export const STALL_PROFILE_NODES_MAX = 1_000;

/**
 * A pause served later than this after it was asked for was not served while the stall ran
 * JavaScript (V8 serves it by interrupt within a few ms then): its stack is not the culprit (ms).
 */
export const PAUSE_PROMPT_MS = 50;
/**
 * A pause that arrived this long before the stall ended was served mid-stall, however late after
 * it was asked for: a pause let in only when a native call returned lands at the very end (ms).
 */
export const MID_STALL_MARGIN_MS = 20;
/**
 * A late pause still names the stall when its innermost project function is among this many
 * functions with the most self time in it (the heaviest stack may be a helper's).
 */
export const HOT_AGREES = 3;
/**
 * A stall is a collection when `(garbage collector)` holds more than this share of the time its
 * samples cover (PROTOCOL 1.2 §12: a stall whose profile is mostly the collector is a gc episode).
 */
export const COLLECTION_SHARE = 0.5;

/** How long close() waits for the watchdog to disconnect before terminating it (ms). */
export const WATCHDOG_CLOSE_MS = 500;
