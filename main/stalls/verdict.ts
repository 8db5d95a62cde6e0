/**
 * The one judgement about a finished stall, shared by the stall explorer's watchdog (in-process)
 * and attach's watcher (over the inspector socket): which evidence names the stack, the pause or
 * the CPU samples, and what held the loop, code or the garbage collector. Pure: the callers bring
 * the window's samples, the pause and their clocks; nothing here talks to V8.
 *
 * Why a pause can be wrong: V8 serves `Debugger.pause` by interrupt while JavaScript runs, and
 * only then. During a native call (bcrypt's hashSync) it lands after the call returns, in whatever
 * runs next; during a collection, in whatever JavaScript resumes. Such a late stack is never the
 * culprit. Why a pause is worth having: it is the exact line, where samples give only the start of
 * each function, and it exists when the profile has no sample of a short stall.
 */
import { HOT_AGREES, COLLECTION_SHARE, MID_STALL_MARGIN_MS, PAUSE_PROMPT_MS } from './limits';
import {
  GARBAGE_COLLECTOR,
  NATIVE,
  sameFunction,
  type PausedStack,
  type ProfileFunction,
  type WindowAnalysis,
} from './profile';

export interface StallEvidence {
  /** The samples between the stall's start and end (analyseWindow). */
  window: WindowAnalysis;
  /** The stack Debugger.pause caught, if one arrived before the stall ended. */
  pause: PausedStack | null;
  /** When the stall began (µs, monotonic clock). */
  startUs: number;
  /** When the pause was asked for, i.e. when the stall was noticed (µs, monotonic clock). */
  pauseAskedUs: number;
  /** When the loop was free again (µs, the same clock). */
  endUs: number;
  /** Whether a function is code a person edits (its script's URL: common/stalls isProjectFrame). */
  isProject: (f: ProfileFunction) => boolean;
}

export interface StallVerdict {
  /** Whose stack the stall is listed with (PROTOCOL §9 `stackFrom`). */
  stackFrom: 'pause' | 'profile';
  /**
   * What held the loop. 'collection': the garbage collector had most of the sampled time and of
   * the stall's length (§12's
   * `gc` cause, not `loop`). 'code': anything else, JavaScript or the native code it called, and
   * a stall with no samples, where nothing says it was a collection.
   */
  heldBy: 'code' | 'collection';
  /** The collector's self time in the window (ms; 0 without samples of it). */
  collectionMs: number;
}

export function stallVerdict(e: StallEvidence): StallVerdict {
  const { window, pause } = e;
  const collectionMs = window.hot.find((h) => h.functionName === GARBAGE_COLLECTOR)?.selfMs ?? 0;
  const sampledMs = window.hot.reduce((sum, h) => sum + h.selfMs, 0);
  // Most of the samples, and most of the stall: a thin profile (a loaded machine samples little)
  // with a collection in it does not make a stall of running code a collection.
  const stallMs = (e.endUs - e.startUs) / 1000;
  const heldBy =
    sampledMs > 0 && collectionMs > sampledMs * COLLECTION_SHARE && collectionMs >= stallMs * COLLECTION_SHARE
      ? 'collection'
      : 'code';
  const stackFrom = heldBy === 'code' && pause !== null && pauseNamesStall(e, pause) ? 'pause' : 'profile';
  return { stackFrom, heldBy, collectionMs };
}

/**
 * Served mid-stall: promptly after it was asked for, or well before the stall ended. The observer's
 * clock can only make a pause look later than it was (it is read when the event arrives), never
 * earlier, so neither test mistakes a late pause for a prompt one.
 */
function servedMidStall(e: StallEvidence, pause: PausedStack): boolean {
  return (
    (pause.atUs - e.pauseAskedUs) / 1000 <= PAUSE_PROMPT_MS ||
    (e.endUs - pause.atUs) / 1000 > MID_STALL_MARGIN_MS
  );
}

/**
 * Whether the pause, rather than the samples, names a stall that code held:
 * - no samples: only a pause served mid-stall that caught code a person edits. Without a sample to
 *   check it against, a pause in nothing but Node's own or a library's code is most likely the loop
 *   resuming after its thread got no CPU, not the cause.
 * - the samples' heaviest stack ends in an anonymous native call: never (no pause can be served
 *   there, so the pause is whatever ran after it).
 * - served mid-stall, the heaviest stack the collector's: when it caught code a person edits.
 * - served mid-stall: when either stack's innermost project function lies on the other (not simply
 *   the leaves: V8 shows an inlined function as its caller, and a helper such as performance.now
 *   may hold the samples or the pause).
 * - late (the event held up on a loaded machine, or let in only when a native call returned):
 *   when it names the samples' innermost project function or one of the stall's hottest, so it
 *   can never blame other code than the samples do; it only adds the exact line.
 */
function pauseNamesStall(e: StallEvidence, pause: PausedStack): boolean {
  const { window, isProject } = e;
  const midStall = servedMidStall(e, pause);
  const pausedProject = pause.frames.find(isProject);
  const leaf = window.stack[0];
  if (leaf === undefined) return midStall && pausedProject !== undefined;
  if (leaf.functionName === NATIVE) return false;
  const sampledProject = window.stack.find(isProject);
  if (midStall) {
    // The collector's stack names no code: in a stall code held, a mid-stall pause in project code
    // says more than it (a thin profile on a loaded machine can be mostly a collection).
    if (leaf.functionName === GARBAGE_COLLECTOR) return pausedProject !== undefined;
    return (
      (pausedProject !== undefined && window.stack.some((f) => sameFunction(f, pausedProject))) ||
      (sampledProject !== undefined && pause.frames.some((f) => sameFunction(f, sampledProject)))
    );
  }
  return (
    pausedProject !== undefined &&
    ((sampledProject !== undefined && sameFunction(pausedProject, sampledProject)) ||
      window.hot.slice(0, HOT_AGREES).some((h) => sameFunction(h, pausedProject)))
  );
}
