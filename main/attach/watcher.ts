/**
 * Watches one Node process through its inspector (docs/protocol.md §11): installs the sampler of
 * installed.ts, probes the loop, catches stalls, and on detach removes everything it installed
 * and closes the inspector port it opened.
 *
 * Seeing a stall from outside: the probe (an awaited setImmediate, sent ~10 ms after the previous
 * one answered) answers only when the loop turns. When the one in flight has waited longer than
 * the threshold, the loop is stalled: `Debugger.pause` is sent at once, and V8 serves it by
 * interrupt while JavaScript runs, so the stack is caught mid-stall (`stackFrom: "pause"`); the
 * pause is resumed as soon as it arrives. A native call runs no JavaScript, so there the pause
 * lands late; V8's CPU profiler runs at a coarse interval (stopped after each stall to read it,
 * restarted at once — see PROFILE_QUIET_MS), and when the probe answers again the profile's samples between the stall's start and end give `hot` and, when the pause was
 * late or disagrees with them, the stack (`stackFrom: "profile"`). This is the stall explorer's
 * reasoning (main/stalls/watchdog-worker.ts), over a socket instead of a thread; its pure
 * helpers (profile windows, source maps, the verdict of main/stalls/verdict.ts) are shared, its
 * mechanism is not.
 *
 * The target's monotonic clock (the probe's answer, the profile's timestamps) is the same clock as
 * this process's on Linux, so the windows need no conversion.
 */
import type { Debugger, Profiler } from 'node:inspector';
import { setTimeout as delay } from 'node:timers/promises';
import {
  HANDLE_NAMES,
  type AttachAttached,
  type AttachDetached,
  type AttachEvent,
  type AttachSample,
  type DetachReason,
  type HandleCounts,
} from '../../common/attach';
import { LoopscopeError } from '../../common/errors';
import { ATTACH_PROBE_GAP_MS, ATTACH_SAMPLE_MS } from '../../common/limits';
import { isProjectFrame } from '../../common/stalls';
import { nowUs } from '../stalls/heartbeat';
import { PROFILE_INTERVAL_US } from '../stalls/limits';
import { analyseWindow, mapHot, pausedStack, stallFrames, type PausedStack } from '../stalls/profile';
import { ScriptCatalog } from '../stalls/scripts';
import { stallVerdict } from '../stalls/verdict';
import type { PublishedStall } from '../stalls/published';
import { CdpClient } from './cdp';
import {
  CLOSE_INSPECTOR,
  installScript,
  PROBE,
  READ,
  removeScript,
  stallsScript,
  type InstallResult,
} from './installed';
import { checkProcess, holderOf, inspectorAt, openInspector, type InspectorTarget } from './processes';
import { isLiveAttach, WatchLock } from './watch-lock';

/** How often this process looks at the probe in flight (ms). */
const WATCH_MS = 5;
/** Detach's own commands get this long each: a target stalled in native code answers late (ms). */
const DETACH_COMMAND_MS = 2_000;
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
/** How long detach waits for the port it opened to stop answering (ms). */
const PORT_CLOSE_WAIT_MS = 3_000;

export interface AttachOptions {
  /** An explicit pid (the inspector is opened with SIGUSR1 when it is not open yet)... */
  pid?: number;
  /** ...or an inspector already listening on loopback. */
  inspect?: { host: string; port: number };
  stallMs: number;
  onEvent(event: AttachEvent): void;
  /** Things a person waiting should know (the target is slow to open its inspector). */
  onNotice?(text: string): void;
}

interface OpenStall {
  startUs: number;
  detectedUs: number;
  pause: PausedStack | null;
}

interface RemoteValue<T> {
  result: { value: T };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function valueOf<T>(reply: RemoteValue<T>, what: string): T {
  if (reply.exceptionDetails) {
    const d = reply.exceptionDetails;
    throw new LoopscopeError(
      'attach_failed',
      `${what} failed in the target: ${d.exception?.description ?? d.text}`,
    );
  }
  return reply.result.value;
}

/** The pid behind the options: given, or the holder of the inspector port given. */
function targetPid(opts: AttachOptions): number {
  if (opts.inspect) {
    const { host, port } = opts.inspect;
    if (!LOOPBACK_HOSTS.has(host))
      throw new LoopscopeError('non_loopback_inspector', `the inspector must be on loopback, got ${host}`);
    const pid = holderOf(port);
    if (pid === null)
      throw new LoopscopeError('inspector_unavailable', `no process of this user listens on port ${port}`);
    return pid;
  }
  if (opts.pid === undefined) throw new LoopscopeError('usage', 'attach needs a pid or an inspector address');
  return opts.pid;
}

async function resolveTarget(
  opts: AttachOptions,
  pid: number,
  lock: WatchLock,
): Promise<{ target: InspectorTarget; opened: boolean }> {
  if (opts.inspect) {
    const target = await inspectorAt(opts.inspect.port);
    if (!target)
      throw new LoopscopeError(
        'inspector_unavailable',
        `no node inspector answers on ${opts.inspect.host}:${opts.inspect.port}`,
      );
    return { target, opened: lock.inheritedSignal };
  }
  const { target, opened } = await openInspector(pid, {
    beforeSignal: () => lock.markSignalled(),
    onSlow: opts.onNotice,
  });
  // An inspector an earlier attach opened and could not close (it was killed) is ours to close.
  return { target, opened: opened || lock.inheritedSignal };
}

export class Attachment {
  readonly pid: number;
  readonly done: Promise<AttachDetached>;
  private readonly cdp: CdpClient;
  private readonly target: InspectorTarget;
  private readonly opened: boolean;
  private readonly lock: WatchLock;
  private readonly opts: AttachOptions;
  /** The sampler is in the target: detach must remove it. */
  private installed = false;
  /** The target runs Loopscope's stall explorer: attach reads its stalls (published.ts). */
  private reader = false;
  /** Another live attach watches the target: leave everything of the target as it is. */
  private refused = false;
  /** `attached` was reported: `detached` must follow. Not when attach was refused or failed first. */
  private announced = false;
  private readonly catalog = new ScriptCatalog();
  private resolveDone!: (d: AttachDetached) => void;
  private detaching: Promise<AttachDetached> | null = null;
  private stopping = false;
  private watchTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private reading = false;
  /** A pause was asked for and neither served nor disarmed yet. */
  private pauseArmed = false;
  private stallCount = 0;
  /** Target clock (µs) of the latest probe answer. */
  private lastBeatUs = nowUs();
  private open: OpenStall | null = null;
  private profileStartedUs = nowUs();
  /** Whether the target's profiler runs, and the profile stopped last (a stall may span both). */
  private profiling = false;
  private lastProfile: Profiler.Profile | null = null;
  private lastStallEndUs = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** Settles when the probe loop has stopped and no awaited probe is left in the target. */
  private probing: Promise<void> = Promise.resolve();

  private constructor(
    pid: number,
    cdp: CdpClient,
    target: InspectorTarget,
    opened: boolean,
    lock: WatchLock,
    opts: AttachOptions,
  ) {
    this.pid = pid;
    this.cdp = cdp;
    this.target = target;
    this.opened = opened;
    this.lock = lock;
    this.opts = opts;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  static async start(opts: AttachOptions): Promise<Attachment> {
    const pid = targetPid(opts);
    checkProcess(pid);
    // Before anything is done to the target: one attach per process (watch-lock.ts).
    const lock = WatchLock.acquire(pid);
    let resolved: { target: InspectorTarget; opened: boolean };
    try {
      resolved = await resolveTarget(opts, pid, lock);
    } catch (err) {
      // Signalled and still not open: it may open later; the record stays for the next attach.
      if (lock.signalled) lock.leave();
      else lock.release();
      throw err;
    }
    const { target, opened } = resolved;
    let cdp: CdpClient;
    try {
      cdp = await CdpClient.connect(target.webSocketDebuggerUrl);
    } catch (err) {
      if (opened) await closeOpenedPort(target).catch(() => undefined);
      if (opened && (await inspectorAt(target.port, 300)) !== null) lock.leave();
      else lock.release();
      throw err;
    }
    const a = new Attachment(pid, cdp, target, opened, lock, opts);
    try {
      await a.install();
    } catch (err) {
      await a.detach('connection_lost');
      throw err;
    }
    return a;
  }

  /** Installs the sampler; refuses when a live attach's is there, takes over from a dead one's. */
  private async claim(): Promise<InstallResult> {
    const evaluate = async (takeOverFrom: number | null): Promise<InstallResult> =>
      valueOf(
        await this.cdp.send<RemoteValue<InstallResult>>('Runtime.evaluate', {
          expression: installScript(process.pid, this.opts.stallMs, takeOverFrom),
          includeCommandLineAPI: true,
          returnByValue: true,
        }),
        'installing the sampler',
      );
    let result = await evaluate(null);
    if (result.busy) {
      const { owner, since } = result.busy;
      if (owner > 0 && isLiveAttach(owner)) {
        // The inspector is that attach's to use and close, whoever opened it.
        this.refused = true;
        throw new LoopscopeError(
          'target_watched',
          `pid ${this.pid} is already watched by attach pid ${owner} (since ${new Date(since).toISOString()}): ` +
            'one attach per process; detach that one first',
        );
      }
      // Its attach is gone (killed before it could detach): replace what it left.
      result = await evaluate(owner);
      if (result.busy)
        throw new LoopscopeError('target_watched', `pid ${this.pid} is being attached to by another attach`);
    }
    this.installed = true;
    return result;
  }

  private async install(): Promise<void> {
    const cdp = this.cdp;
    // The target finished and waits for its debugger to go: let it exit.
    cdp.on('NodeRuntime.waitingForDisconnect', () => void this.detach('target_exited'));
    void cdp.closed.then(() => {
      if (!this.stopping) void this.detach(this.processGone() ? 'target_exited' : 'connection_lost');
    });

    await cdp.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => undefined);
    const { version, explorer } = await this.claim();
    this.reader = explorer;
    if (!explorer) {
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
    }
    this.profileStartedUs = nowUs();
    this.lastBeatUs = nowUs();
    const attached: AttachAttached = {
      type: 'attached',
      pid: this.pid,
      inspector: `127.0.0.1:${this.target.port}`,
      openedInspector: this.opened,
      nodeVersion: version,
      stallThresholdMs: this.opts.stallMs,
      stallsFrom: explorer ? 'target' : 'attach',
      time: Date.now(),
    };
    this.announced = true;
    this.opts.onEvent(attached);
    if (explorer) {
      // The target's own explorer watches its loop: attach only passes its stalls on.
      this.probing = this.readStalls();
    } else {
      this.probing = this.probeLoop();
      this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    }
    this.sampleTimer = setInterval(() => void this.sample(), ATTACH_SAMPLE_MS);
  }

  /**
   * Reader mode: one awaited evaluation at a time, answered when the target's explorer has a
   * stall (or at detach, which cancels it). Nothing is paused or profiled from here.
   */
  private async readStalls(): Promise<void> {
    let afterId = 0;
    while (!this.stopping) {
      let batch: PublishedStall[];
      try {
        batch = valueOf(
          await this.cdp.send<RemoteValue<PublishedStall[]>>(
            'Runtime.evaluate',
            { expression: stallsScript(afterId), awaitPromise: true, returnByValue: true },
            null,
          ),
          "reading the target's stalls",
        );
      } catch {
        return; // closing, or the target went away: detach is already under way
      }
      for (const { id, stall } of batch) {
        afterId = Math.max(afterId, id);
        if (this.stopping || stall.durationMs < this.opts.stallMs) continue;
        this.stallCount++;
        this.opts.onEvent({ type: 'stall', ...stall, id: this.stallCount, process: `pid ${this.pid}` });
      }
    }
  }

  private processGone(): boolean {
    try {
      process.kill(this.pid, 0);
      return false;
    } catch {
      return true;
    }
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
    if (!this.profiling && (now - this.lastStallEndUs) / 1000 > PROFILE_QUIET_MS) {
      this.profiling = true;
      this.profileStartedUs = now;
      this.inOrder(() => this.cdp.send('Profiler.start').then(() => undefined));
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
    this.pauseArmed = true;
    this.cdp.send('Debugger.setSkipAllPauses', { skip: false }).catch(() => undefined);
    this.cdp.send('Debugger.pause', {}, null).catch(() => undefined);
  }

  private disarmPause(): void {
    if (!this.pauseArmed) return;
    this.pauseArmed = false;
    this.cdp.send('Debugger.setSkipAllPauses', { skip: true }).catch(() => undefined);
  }

  private inOrder(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch(() => undefined);
  }

  /** The samples of a window: from the profile just stopped or the one before, whichever has more. */
  private async windowOf(startUs: number, endUs: number): Promise<ReturnType<typeof analyseWindow>> {
    if (this.profiling) {
      this.profiling = false;
      const { profile } = await this.cdp.send<{ profile: Profiler.Profile }>('Profiler.stop');
      const previous = this.lastProfile;
      this.lastProfile = profile;
      const now = analyseWindow(profile, startUs, endUs);
      const before = previous ? analyseWindow(previous, startUs, endUs) : null;
      const window = before && before.samples > now.samples ? before : now;
      // Code of the target ran in the stall: start again at once, the next stall may follow
      // right after. No sample: the target's thread did not run (a loaded machine, or the
      // restart's own cost); wait for a quiet loop (watch()) so restarts cannot chain.
      if (window.samples > 0) {
        this.profiling = true;
        this.profileStartedUs = nowUs();
        await this.cdp.send('Profiler.start');
      }
      return window;
    }
    if (this.lastProfile) return analyseWindow(this.lastProfile, startUs, endUs);
    return { samples: 0, stack: [], hot: [] };
  }

  private async finish(stall: OpenStall, endUs: number): Promise<void> {
    if (this.stopping) return;
    // Seen from here, a reply held up on its way (this process busy, the socket slow) looks like
    // a stall; the target's own clock says whether its loop really was blocked that long.
    if ((endUs - stall.startUs) / 1000 < this.opts.stallMs) return;
    this.lastStallEndUs = nowUs();
    const window = await this.windowOf(stall.startUs, endUs);
    // The pause is the one that arrived before the probe's answer (one connection's messages
    // arrive in order); the verdict judges whether it was served while the loop was blocked.
    const { stackFrom } = stallVerdict({
      window,
      pause: stall.pause,
      pauseAskedUs: stall.detectedUs,
      endUs,
      isProject: (f) => isProjectFrame({ url: this.catalog.url(f.scriptId) }),
    });
    const frames = stallFrames(this.catalog, stackFrom, window, stall.pause);
    this.stallCount++;
    this.opts.onEvent({
      type: 'stall',
      id: this.stallCount,
      startedAt: Date.now() - (nowUs() - stall.startUs) / 1000,
      durationMs: Math.round((endUs - stall.startUs) / 100) / 10,
      detectedAfterMs: Math.round((stall.detectedUs - stall.startUs) / 100) / 10,
      stackFrom,
      process: `pid ${this.pid}`,
      frames,
      hot: window.hot.map((h) => mapHot(this.catalog, h)),
    });
  }

  private async sample(): Promise<void> {
    // Not while a pause is armed: the read would run inside the inspector's dispatch (see armPause).
    if (this.reading || this.stopping || this.pauseArmed) return;
    this.reading = true;
    try {
      const r = valueOf(
        await this.cdp.send<
          RemoteValue<{
            time: number;
            p50: number;
            p99: number;
            max: number;
            utilization: number;
            heapUsedBytes: number;
            handles: Record<string, number>;
          }>
        >('Runtime.evaluate', { expression: READ, returnByValue: true }, null),
        'reading the sampler',
      );
      if (this.stopping) return;
      const handles: HandleCounts = {};
      for (const [name, n] of Object.entries(r.handles)) {
        if (n <= 0) continue;
        const short = HANDLE_NAMES[name] ?? name.toLowerCase();
        handles[short] = (handles[short] ?? 0) + n;
      }
      const sample: AttachSample = {
        type: 'sample',
        time: r.time,
        loopDelayMs: { p50: r.p50, p99: r.p99, max: r.max },
        utilization: r.utilization,
        heapUsedBytes: r.heapUsedBytes,
        handles,
      };
      this.opts.onEvent(sample);
    } catch {
      // The connection is going; detach reports why.
    } finally {
      this.reading = false;
    }
  }

  /**
   * Removes the sampler, stops the profiler and the debugger, closes the inspector port attach
   * opened, and reports `detached`. Safe to call more than once and after the target exited.
   */
  detach(reason: DetachReason): Promise<AttachDetached> {
    if (this.detaching) return this.detaching;
    this.stopping = true;
    if (this.watchTimer) clearInterval(this.watchTimer);
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    this.detaching = (async () => {
      let inspectorClosed: boolean | null = this.opened ? false : null;
      const gone = reason === 'target_exited' || !this.cdp.isOpen;
      if (!gone) {
        const cmd = (method: string, params: object = {}): Promise<unknown> =>
          this.cdp.send(method, params, DETACH_COMMAND_MS).catch(() => undefined);
        this.disarmPause();
        // Removing the sampler also answers a pending read of the explorer's stalls.
        if (this.installed)
          await cmd('Runtime.evaluate', { expression: removeScript(process.pid), returnByValue: true });
        // No awaited probe may be pending when the inspector closes: V8 would answer it on a
        // session already freed (nodejs/node#18761, a segfault in the target). The probe answers
        // within one turn of the loop; a target stalled past the wait keeps its inspector open.
        const probed = await Promise.race([
          Promise.all([this.probing, this.chain]).then(() => true),
          delay(DETACH_COMMAND_MS).then(() => false),
        ]);
        if (!this.reader && this.installed) {
          // A pause asked for and not served yet must not outlive this client.
          await cmd('Debugger.resume');
          await cmd('Profiler.stop');
          await cmd('Profiler.disable');
          await cmd('Debugger.disable');
        }
        if (this.opened && probed && !this.refused) {
          await cmd('Runtime.evaluate', {
            expression: CLOSE_INSPECTOR,
            includeCommandLineAPI: true,
            returnByValue: true,
          });
          // The target closes this connection itself. Closing it from here at the same moment
          // races inspector.close() and can crash the target (Node 20), so wait for it.
          await Promise.race([this.cdp.closed, delay(PORT_CLOSE_WAIT_MS)]);
        }
      }
      await this.cdp.close();
      if (this.opened && !this.refused) inspectorClosed = gone ? true : await portClosed(this.target.port);
      // An inspector we opened and could not close stays on record for the next attach.
      if (inspectorClosed === false) this.lock.leave();
      else this.lock.release();
      const detached: AttachDetached = {
        type: 'detached',
        pid: this.pid,
        reason,
        inspectorClosed,
        stalls: this.stallCount,
        time: Date.now(),
      };
      if (this.announced) this.opts.onEvent(detached);
      this.resolveDone(detached);
      return detached;
    })();
    return this.detaching;
  }
}

/** Waits, with a deadline, for nothing to answer /json/list on the port. */
async function portClosed(port: number): Promise<boolean> {
  const deadline = Date.now() + PORT_CLOSE_WAIT_MS;
  while (Date.now() < deadline) {
    if ((await inspectorAt(port, 300)) === null) return true;
    await delay(20);
  }
  return false;
}

/** Closes a port attach opened but could not use (the connection failed after SIGUSR1). */
async function closeOpenedPort(target: InspectorTarget): Promise<void> {
  const cdp = await CdpClient.connect(target.webSocketDebuggerUrl);
  await cdp
    .send('Runtime.evaluate', { expression: CLOSE_INSPECTOR, includeCommandLineAPI: true }, DETACH_COMMAND_MS)
    .catch(() => undefined);
  // As in detach: the target closes the connection; closing it from here too can crash it.
  await Promise.race([cdp.closed, delay(PORT_CLOSE_WAIT_MS)]);
  await cdp.close();
}
