/**
 * The watchdog thread (entry point 'stall-watchdog'). It reads the loop's heartbeat every few ms;
 * when the heartbeat is older than the threshold, the loop is stalled and this thread, which the
 * stall cannot block, looks at it through an inspector session connected to the main thread
 * (`connectToMainThread`: in-process, no network port is ever opened):
 *
 * - `Debugger.pause` catches the stack mid-stall. V8 serves it by interrupt while JavaScript runs,
 *   and only then: during a native call (bcrypt's hashSync) it lands after the call returns, in
 *   whatever runs next.
 * - V8's CPU profiler runs all the time at a coarse interval (limits.ts says why), so the samples
 *   of the stall exist even when it sat in native code. When the loop is back the profile is
 *   stopped (and restarted at once); its samples between the stall's start and end give `hot`,
 *   and are sent with the stall as its own profile (stall-profile.ts).
 *
 * Which of the two names the stack is verdict.ts's judgement, the same one attach makes.
 */
import { Session, type Debugger, type Profiler } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import { isProjectFrame } from '../../common/stalls';
import { nowUs, SharedHeartbeat } from './heartbeat';
import { PROFILE_INTERVAL_US, PROFILE_ROTATE_MS, WATCH_POLL_MS } from './limits';
import type { FromWatchdog, ToWatchdog, WatchdogData } from './messages';
import {
  analyseWindow,
  mapHot,
  pausedStack,
  stallFrames,
  type PausedStack,
  type WindowAnalysis,
} from './profile';
import { ScriptCatalog } from './scripts';
import { stallProfile } from './stall-profile';
import { stallVerdict } from './verdict';

interface OpenStall {
  /** The last heartbeat before the loop blocked. */
  startUs: number;
  detectedUs: number;
  pauseAskedUs: number;
  pause: PausedStack | null;
  endUs?: number;
}

const data = workerData as WatchdogData;
const port = parentPort!;
const heartbeat = new SharedHeartbeat(data.buffer);
const catalog = new ScriptCatalog();
const session = new Session();

function send(msg: FromWatchdog): void {
  port.postMessage(msg);
}

function post<T = unknown>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    (session.post as (m: string, p: object, cb: (err: Error | null, result: T) => void) => void)(
      method,
      params,
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

let open: OpenStall | null = null;
let profileStartedUs = nowUs();
/** Session commands that must not interleave (stop+start of the profiler). */
let chain: Promise<unknown> = Promise.resolve();
let closed = false;
/** Nothing is watched until the profiler runs: a stall before that would have no samples. */
let ready = false;

function inOrder(task: () => Promise<void>): void {
  chain = chain.then(task).catch((err: unknown) => {
    if (!closed) send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
}

session.on('Debugger.scriptParsed', ({ params }: { params: Debugger.ScriptParsedEventDataType }) => {
  catalog.add(params.scriptId, params.url, params.sourceMapURL);
});

session.on('Debugger.paused', ({ params }: { params: Debugger.PausedEventDataType }) => {
  const atUs = nowUs();
  // Whoever asked, the loop must run on: resume first, look afterwards.
  void post('Debugger.resume').catch(() => undefined);
  if (!open || open.pause) return;
  open.pause = pausedStack(params.callFrames, atUs);
});

/**
 * A second, console-started profile keeps V8's CPU profiler running while the one we read is
 * stopped and started again. Without it every restart creates a new profiler, which first logs
 * every compiled function in the heap: 17 ms on an idle server, hundreds with thousands of
 * sockets, and always right after a stall, when clients are already waiting (long-poll fan-out
 * p99 rose from ~150 to ~380 ms). With it a restart is ~0.3 ms. It is itself replaced at each
 * rotation so its samples do not pile up.
 */
let keepalive = 0;
function rotateKeepalive(): Promise<unknown> {
  const next = `loopscope-keepalive-${++keepalive}`;
  const end =
    keepalive > 1 ? `console.profileEnd(${JSON.stringify(`loopscope-keepalive-${keepalive - 1}`)});` : '';
  // Nothing the user typed: a fixed expression with our own counter.
  return post('Runtime.evaluate', {
    expression: `console.profile(${JSON.stringify(next)});${end}`,
    silent: true,
  });
}

/** The profile stopped before the latest one: see `stallSamples`. */
let previous: Profiler.Profile | null = null;

function restartProfile(): Promise<Profiler.Profile> {
  // Both commands go out together: the main thread serves them back to back, so the gap in
  // sampling is one message long.
  const stopped = post<{ profile: Profiler.Profile }>('Profiler.stop');
  const started = post('Profiler.start');
  profileStartedUs = nowUs();
  return Promise.all([stopped, started]).then(([r]) => {
    previous = r.profile;
    return r.profile;
  });
}

/**
 * The profile that holds the stall's samples. Usually the one stopped when the loop came back;
 * but when the loop blocks again before it serves that stop (a second bcrypt request already
 * waiting), the stop lands after the second stall, whose samples then sit in the profile the
 * first stall's restart returned, while the one stopped for it starts after it began.
 */
async function stallSamples(
  stall: OpenStall & { endUs: number },
): Promise<{ profile: Profiler.Profile; window: WindowAnalysis }> {
  const earlier = previous;
  const profile = await restartProfile();
  const window = analyseWindow(profile, stall.startUs, stall.endUs);
  if (earlier && earlier !== profile && profile.startTime > stall.startUs) {
    const before = analyseWindow(earlier, stall.startUs, stall.endUs);
    if (before.samples > window.samples) return { profile: earlier, window: before };
  }
  return { profile, window };
}

async function finish(stall: OpenStall & { endUs: number }): Promise<void> {
  const { profile, window } = await stallSamples(stall);
  const pause = stall.pause;
  const { stackFrom } = stallVerdict({
    window,
    pause,
    pauseAskedUs: stall.pauseAskedUs,
    startUs: stall.startUs,
    endUs: stall.endUs,
    isProject: (f) => isProjectFrame({ url: catalog.url(f.scriptId) }),
  });
  const frames = stallFrames(catalog, stackFrom, window, pause);
  const durationMs = (stall.endUs - stall.startUs) / 1000;
  send({
    type: 'stall',
    stall: {
      startedAt: Date.now() - (nowUs() - stall.startUs) / 1000,
      durationMs: Math.round(durationMs * 10) / 10,
      detectedAfterMs: Math.round(((stall.detectedUs - stall.startUs) / 1000) * 10) / 10,
      stackFrom,
      process: data.processName,
      frames,
      hot: window.hot.map((h) => mapHot(catalog, h)),
    },
    profile: stallProfile(catalog, profile, stall.startUs, stall.endUs),
  });
}

function watch(): void {
  if (!ready || closed) return;
  const beatUs = heartbeat.lastBeatUs();
  const now = nowUs();
  if (open) {
    if (beatUs === open.startUs) return;
    // The loop beat again: the stall ended at that beat.
    const stall = { ...open, endUs: beatUs };
    open = null;
    inOrder(() => finish(stall));
    return;
  }
  if ((now - beatUs) / 1000 > heartbeat.thresholdMs) {
    open = { startUs: beatUs, detectedUs: now, pauseAskedUs: now, pause: null };
    // Held while attach reads this explorer (published.ts): a pause served inside one of its
    // evaluations would hang the loop for good. The profile names the stall alone meanwhile.
    if (!heartbeat.pausesHeld) post('Debugger.pause').catch(() => undefined);
    return;
  }
  // Only while the loop looks free: a stop queued behind a stall would split its samples.
  if (
    (now - profileStartedUs) / 1000 > PROFILE_ROTATE_MS &&
    (now - beatUs) / 1000 < heartbeat.thresholdMs / 2
  ) {
    profileStartedUs = now;
    inOrder(() =>
      restartProfile()
        .then(rotateKeepalive)
        .then(() => undefined),
    );
  }
}

async function start(): Promise<void> {
  session.connectToMainThread();
  await post('Debugger.enable');
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
  await post('Profiler.start');
  await rotateKeepalive();
  profileStartedUs = nowUs();
  ready = true;
  send({ type: 'ready' });
}

const timer = setInterval(watch, WATCH_POLL_MS);

port.on('message', (msg: ToWatchdog) => {
  if (msg.type !== 'close' || closed) return;
  closed = true;
  clearInterval(timer);
  // A session left connected keeps the main thread waiting at exit; disconnecting also ends the
  // profiler and the debugger domain, so nothing is left running in the watched thread.
  session.disconnect();
  port.close();
});

start().catch((err: unknown) =>
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
);
