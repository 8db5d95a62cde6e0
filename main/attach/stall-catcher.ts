/**
 * How attach finds the stalls of a target that does not run Loopscope's stall explorer: by
 * probing its loop, pausing it mid-stall and reading its CPU profile. Attachment (watcher.ts) owns
 * the connection and its lifecycle; this owns the probe, the pause and the profiler.
 *
 * Seeing a stall from outside: the probe (an awaited setImmediate, sent ~10 ms after the previous
 * one answered) answers only when the loop turns. When the one in flight has waited longer than
 * the threshold, the loop is stalled: `Debugger.pause` is sent at once, and V8 serves it by
 * interrupt while JavaScript runs, so the stack is caught mid-stall (`stackFrom: "pause"`); the
 * pause is resumed as soon as it arrives. A native call runs no JavaScript, so there the pause
 * lands late; V8's CPU profiler runs at a coarse interval (stopped after each stall to read it,
 * restarted at once — see PROFILE_QUIET_MS), and when the probe answers again the profile's
 * samples between the stall's start and end give `hot` and, when the pause was late or disagrees
 * with them, the stack (`stackFrom: "profile"`); the same samples are the stall's own profile
 * (main/stalls/stall-profile.ts). This is the stall explorer's reasoning
 * (main/stalls/watchdog-worker.ts), over a socket instead of a thread; its pure helpers (profile
 * windows, source maps, the verdict of main/stalls/verdict.ts) are shared, its mechanism is not.
 *
 * The target's monotonic clock (the probe's answer, the profile's timestamps) is the same clock as
 * this process's on Linux, so the windows need no conversion.
 */
import type { Debugger, Profiler } from 'node:inspector';
import { setTimeout as delay } from 'node:timers/promises';
import type { CpuProfile } from '../../common/cpuprofile';
import type { Stall } from '../../common/stalls';
import { isProjectFrame } from '../../common/stalls';
import { ATTACH_PROBE_GAP_MS } from '../../common/limits';
import { nowUs } from '../stalls/heartbeat';
import { PROFILE_INTERVAL_US } from '../stalls/limits';
import { analyseWindow, mapHot, pausedStack, stallFrames, type PausedStack } from '../stalls/profile';
import { ScriptCatalog } from '../stalls/scripts';
import { stallProfile } from '../stalls/stall-profile';
import { stallVerdict } from '../stalls/verdict';
import { valueOf, type CdpClient, type RemoteValue } from './cdp';
import { PROBE } from './installed';

/** How often this process looks at the probe in flight (ms). */
const WATCH_MS = 5;
/**
 * Without a stall the profile is restarted this often (ms). Rarer than the stall explorer's 10 s:
 * with the debugger enabled, Profiler.start costs the target's loop ~40 ms (measured on Node 20,
 * against ~1 ms without it), so each restart is a hiccup the target pays.
 */
const PROFILE_ROTATE_MS = 60_000;
/**
 * After a stall in which no code of the target ran, the profile is started again only once the
 * loop has answered promptly for this long (ms). Restarting at once made a cascade on a loaded
 * machine: each restart's hiccup became the next stall, which restarted the profiler again.
 */
const PROFILE_QUIET_MS = 200;

interface OpenStall {
  startUs: number;
  detectedUs: number;
  pause: PausedStack | null;
}

export interface StallCatcherOptions {
  stallMs: number;
  /**
   * A stall found, with its window's samples (none when the profiler was not running); the caller
   * numbers it and says which process it was.
   */
  onStall(stall: Omit<Stall, 'id' | 'process'>, profile: CpuProfile | null): void;
}

export class StallCatcher {
  private readonly catalog = new ScriptCatalog();
  private stopping = false;
  private watchTimer: NodeJS.Timeout | null = null;
  /** A pause was asked for and neither served nor disarmed yet. */
  private armed = false;
  /** Target clock (µs) of the latest probe answer. */
  private lastBeatUs = nowUs();
  private open: OpenStall | null = null;
  private profileStartedUs = nowUs();
  /** Whether the target's profiler runs, and the profile stopped last (a stall may span both). */
  private profiling = false;
  private lastProfile: Profiler.Profile | null = null;
  private lastStallEndUs = 0;
  /**
   * What the latest Profiler.start cost the target's loop (ms), and when it ran (this process's
   * clock, µs). V8 logs every code object it has when the profiler starts: on a large heap that is
   * a stall of its own (250 ms at 300 MB, measured on Node 20), which must neither be reported as
   * the target's nor be repeated after each stall it causes.
   */
  private startCostMs = 0;
  private startedWindow: [number, number] = [0, 0];
  private chain: Promise<unknown> = Promise.resolve();
  /** Settles when the probe loop has stopped and no awaited probe is left in the target. */
  private probing: Promise<void> = Promise.resolve();

  constructor(
    private readonly cdp: CdpClient,
    private readonly opts: StallCatcherOptions,
  ) {}

  /** Enables the debugger (pauses skipped) and the profiler; the watch starts with run(). */
  async enable(): Promise<void> {
    const cdp = this.cdp;
    cdp.on('Debugger.scriptParsed', (p: Debugger.ScriptParsedEventDataType) =>
      this.catalog.add(p.scriptId, p.url, p.sourceMapURL),
    );
    cdp.on('Debugger.paused', (p: Debugger.PausedEventDataType) => this.onPaused(p));
    await cdp.send('Debugger.enable');
    // Pauses are off except while attach asks for one (see armPause): a `debugger` statement in
    // the target never stops it, and a pause can never land inside attach's own evaluations.
    await cdp.send('Debugger.setSkipAllPauses', { skip: true });
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
    await cdp.send('Profiler.start');
    this.profiling = true;
    this.profileStartedUs = nowUs();
  }

  /** Starts probing the loop and watching the probe in flight. */
  run(): void {
    this.lastBeatUs = nowUs();
    this.probing = this.probeLoop();
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
  }

  /** While a pause is armed no evaluation may be sent (see armPause). */
  get pauseArmed(): boolean {
    return this.armed;
  }

  /**
   * Stops watching; resolves true once no probe or profile step is left in flight in the target,
   * false when `waitMs` passed first (a target stalled that long still holds one).
   */
  async stop(waitMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.disarmPause();
    return Promise.race([
      Promise.all([this.probing, this.chain]).then(() => true),
      delay(waitMs).then(() => false),
    ]);
  }

  /** Leaves the target's debugger and profiler as they were before enable(). */
  async disable(cmd: (method: string) => Promise<unknown>): Promise<void> {
    // A pause asked for and not served yet must not outlive this client.
    await cmd('Debugger.resume');
    await cmd('Profiler.stop');
    await cmd('Profiler.disable');
    await cmd('Debugger.disable');
  }

  private async probeLoop(): Promise<void> {
    while (!this.stopping) {
      let beat: [number, number];
      try {
        this.disarmPause();
        const reply = await this.cdp.send<RemoteValue<[number, number]>>(
          'Runtime.evaluate',
          { expression: PROBE, awaitPromise: true, returnByValue: true },
          null,
        );
        beat = valueOf(reply, 'the loop probe');
      } catch {
        return; // closing, or the target went away: detach is already under way
      }
      this.onBeat(beat[0], beat[1]);
      await delay(ATTACH_PROBE_GAP_MS);
    }
  }

  private watch(): void {
    if (this.stopping || this.open) return;
    const now = nowUs();
    // From the last answer: if this process sent the probe late, the stall may be older than the
    // probe. A false alarm (the target was idle, this process was slow) costs one pause, and
    // finish() drops it on the target's own clock.
    const startUs = this.lastBeatUs;
    if ((now - startUs) / 1000 > this.opts.stallMs) {
      this.open = { startUs, detectedUs: now, pause: null };
      this.armPause();
      return;
    }
    // Only while the loop looks free: a stop queued behind a stall would split its samples.
    if ((now - startUs) / 1000 >= this.opts.stallMs / 2) return;
    if (!this.profiling && (now - this.lastStallEndUs) / 1000 > this.quietMs()) {
      this.profiling = true;
      this.profileStartedUs = now;
      this.inOrder(() => this.startProfiler());
    } else if (this.profiling && (now - this.profileStartedUs) / 1000 > PROFILE_ROTATE_MS) {
      this.profileStartedUs = now;
      this.inOrder(async () => {
        const stopped = this.cdp.send<{ profile: Profiler.Profile }>('Profiler.stop');
        const started = this.cdp.send('Profiler.start');
        this.lastProfile = (await Promise.all([stopped, started]))[0].profile;
      });
    }
  }

  /**
   * A probe answered at `beatUs` (target clock); `tickUs` is the target's last interval tick
   * before it. Both the previous answer and that tick ran before the stall began, so the later of
   * the two is where the stall window starts, however late this process sent the probe.
   */
  private onBeat(beatUs: number, tickUs: number): void {
    const open = this.open;
    const startUs = Math.max(this.lastBeatUs, Math.min(tickUs, beatUs));
    this.lastBeatUs = beatUs;
    if (open) {
      this.open = null;
      this.inOrder(() => this.finish({ ...open, startUs }, beatUs));
      return;
    }
    // A stall that ended before watch() saw it: still a stall.
    if ((beatUs - startUs) / 1000 > this.opts.stallMs) {
      this.inOrder(() => this.finish({ startUs, detectedUs: beatUs, pause: null }, beatUs));
    }
  }

  private onPaused(p: Debugger.PausedEventDataType): void {
    const atUs = nowUs();
    // Whoever asked (a `debugger` statement too), the loop must run on: resume first.
    this.cdp.send('Debugger.resume').catch(() => undefined);
    this.disarmPause();
    const open = this.open;
    if (!open || open.pause) return;
    open.pause = pausedStack(p.callFrames, atUs);
  }

  /**
   * Asks for a pause. Node 20 deadlocks when a pause is served inside JavaScript that the
   * inspector itself is running (one of attach's evaluations): the paused thread waits for
   * messages that the busy dispatcher never delivers, and the target hangs for good (seen in the
   * bench). So pauses are skipped except between this and disarmPause(), and no evaluation is
   * sent while one is armed: the probe in flight was dispatched before, and the next one disarms
   * first (messages on one connection are dispatched in order).
   */
  private armPause(): void {
    this.armed = true;
    this.cdp.send('Debugger.setSkipAllPauses', { skip: false }).catch(() => undefined);
    this.cdp.send('Debugger.pause', {}, null).catch(() => undefined);
  }

  private disarmPause(): void {
    if (!this.armed) return;
    this.armed = false;
    this.cdp.send('Debugger.setSkipAllPauses', { skip: true }).catch(() => undefined);
  }

  private inOrder(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch(() => undefined);
  }

  /**
   * The samples of a window: from the profile just stopped or the one before, whichever has more;
   * with that profile, from which the stall's own is cut.
   */
  private async windowOf(
    startUs: number,
    endUs: number,
  ): Promise<{ window: ReturnType<typeof analyseWindow>; from: Profiler.Profile | null }> {
    if (this.profiling) {
      this.profiling = false;
      const { profile } = await this.cdp.send<{ profile: Profiler.Profile }>('Profiler.stop');
      const previous = this.lastProfile;
      this.lastProfile = profile;
      const now = analyseWindow(profile, startUs, endUs);
      const before = previous ? analyseWindow(previous, startUs, endUs) : null;
      const earlier = before !== null && before.samples > now.samples;
      const window = earlier ? before : now;
      // Code of the target ran in the stall: start again at once, the next stall may follow
      // right after — unless a start costs the target a stall of its own. No sample: the target's
      // thread did not run (a loaded machine, or the restart's own cost); wait for a quiet loop
      // (watch()) so restarts cannot chain.
      if (window.samples > 0 && this.startCostMs < this.opts.stallMs / 2) {
        this.profiling = true;
        this.profileStartedUs = nowUs();
        await this.startProfiler();
      }
      return { window, from: earlier ? previous : profile };
    }
    if (this.lastProfile)
      return { window: analyseWindow(this.lastProfile, startUs, endUs), from: this.lastProfile };
    return { window: { samples: 0, stack: [], hot: [] }, from: null };
  }

  /** Starts the profiler and measures what that cost the target (see startCostMs). */
  private async startProfiler(): Promise<void> {
    const from = nowUs();
    await this.cdp.send('Profiler.start');
    const to = nowUs();
    this.startCostMs = (to - from) / 1000;
    this.startedWindow = [from, to];
  }

  /**
   * How long the loop must answer promptly before the profiler starts again: longer when a start
   * is costly, so its own stalls stay under a tenth of the target's time.
   */
  private quietMs(): number {
    return this.startCostMs >= this.opts.stallMs / 2
      ? Math.max(PROFILE_QUIET_MS, 10 * this.startCostMs)
      : PROFILE_QUIET_MS;
  }

  private async finish(stall: OpenStall, endUs: number): Promise<void> {
    if (this.stopping) return;
    // The target's loop held by this process's own Profiler.start is attach's doing, not its code.
    const [startedFrom, startedTo] = this.startedWindow;
    if (stall.startUs <= startedTo && endUs >= startedFrom && this.startCostMs >= this.opts.stallMs) return;
    // Seen from here, a reply held up on its way (this process busy, the socket slow) looks like
    // a stall; the target's own clock says whether its loop really was blocked that long.
    if ((endUs - stall.startUs) / 1000 < this.opts.stallMs) return;
    this.lastStallEndUs = nowUs();
    const { window, from } = await this.windowOf(stall.startUs, endUs);
    // The pause is the one that arrived before the probe's answer (one connection's messages
    // arrive in order); the verdict judges whether it was served while the loop was blocked.
    const { stackFrom } = stallVerdict({
      window,
      pause: stall.pause,
      pauseAskedUs: stall.detectedUs,
      startUs: stall.startUs,
      endUs,
      isProject: (f) => isProjectFrame({ url: this.catalog.url(f.scriptId) }),
    });
    const frames = stallFrames(this.catalog, stackFrom, window, stall.pause);
    this.opts.onStall(
      {
        startedAt: Date.now() - (nowUs() - stall.startUs) / 1000,
        durationMs: Math.round((endUs - stall.startUs) / 100) / 10,
        detectedAfterMs: Math.round((stall.detectedUs - stall.startUs) / 100) / 10,
        stackFrom,
        frames,
        hot: window.hot.map((h) => mapHot(this.catalog, h)),
      },
      from ? stallProfile(this.catalog, from, stall.startUs, endUs) : null,
    );
  }
}
