/**
 * Watches one Node process through its inspector (docs/protocol.md §11): claims it (installs the
 * sampler of installed.ts, or refuses when another live attach watches it), reports its samples
 * and stalls — read from the target's own stall explorer when it runs one, else found by
 * stall-catcher.ts — and on detach removes everything it installed and closes the inspector port
 * it opened.
 *
 * Its lifecycle is one named phase (see Phase) rather than a set of flags: what detach must undo
 * follows from the phase it was called in.
 */
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
import type { CpuProfile } from '../../common/cpuprofile';
import { LoopscopeError } from '../../common/errors';
import type { RequestStats } from '../../common/snapshot';
import type { Stall } from '../../common/stalls';
import { ATTACH_SAMPLE_MS } from '../../common/limits';
import type { PublishedStall } from '../stalls/published';
import { CdpClient, valueOf, type RemoteValue } from './cdp';
import {
  CLOSE_INSPECTOR,
  installScript,
  READ,
  removeScript,
  stallsScript,
  type InstallResult,
} from './installed';
import { checkProcess, holderOf, inspectorAt, openInspector, type InspectorTarget } from './processes';
import { StallCatcher } from './stall-catcher';
import { takeHeapSnapshot } from './heap-snapshot';
import { Diagnoser } from '../diagnosis/diagnoser';
import type { OriginWindow } from '../diagnosis/upstream';
import type { WaitWindow } from '../diagnosis/wait-probes';
import { isLiveAttach, WatchLock } from './watch-lock';

/** Detach's own commands get this long each: a target stalled in native code answers late (ms). */
const DETACH_COMMAND_MS = 2_000;
/** How long a heap snapshot waits for a stall under way to end before it gives up (ms). */
const SNAPSHOT_WAIT_MS = 5_000;
/** How long detach waits for the port it opened to stop answering (ms). */
const PORT_CLOSE_WAIT_MS = 3_000;

export interface AttachOptions {
  /** An explicit pid (the inspector is opened with SIGUSR1 when it is not open yet)... */
  pid?: number;
  /** ...or an inspector already listening on loopback. */
  inspect?: { host: string; port: number };
  stallMs: number;
  /** docs/protocol.md §12's probes and `diagnosis` lines (default on; off for the cost bench). */
  diagnose?: boolean;
  onEvent(event: AttachEvent): void;
  /**
   * A stall's own CPU samples (docs/protocol.md §9's .cpuprofile), told just before its `stall`
   * event and by the same id. Not part of the §11 stream: the app keeps them for download.
   */
  onStallProfile?(id: number, profile: CpuProfile): void;
  /** Things a person waiting should know (the target is slow to open its inspector). */
  onNotice?(text: string): void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

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

/**
 * connecting: the inspector is open, nothing installed. refused: another live attach watches the
 * target; nothing of it is touched, not even the inspector it opened. claimed: the sampler is
 * installed (detach removes it). watching: `attached` was reported (`detached` must follow).
 * detaching: on the way out, from whichever phase it was called in.
 */
type Phase = 'connecting' | 'refused' | 'claimed' | 'watching' | 'detaching';

export class Attachment {
  readonly pid: number;
  readonly done: Promise<AttachDetached>;
  private readonly cdp: CdpClient;
  private readonly target: InspectorTarget;
  private readonly opened: boolean;
  private readonly lock: WatchLock;
  private readonly opts: AttachOptions;
  private phase: Phase = 'connecting';
  /** Who finds the stalls: the target's own explorer (read only), or attach's StallCatcher. */
  private catcher: StallCatcher | null = null;
  private resolveDone!: (d: AttachDetached) => void;
  private detaching: Promise<AttachDetached> | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private reading = false;
  private stallCount = 0;
  /** The stalls reported since the last sample, for the diagnosis. */
  private windowStalls: Stall[] = [];
  private readonly diagnoser = new Diagnoser((d) => {
    if (this.phase === 'watching' || this.closingEpisodes) this.opts.onEvent(d);
  });
  private closingEpisodes = false;
  /** Settles when the reader's awaited evaluation has returned. */
  private readingStalls: Promise<void> = Promise.resolve();
  /** A heap snapshot being written: one at a time (each stops the target while it lasts). */
  private snapshotting = false;

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
          expression: installScript(
            process.pid,
            this.opts.stallMs,
            takeOverFrom,
            this.opts.diagnose !== false,
          ),
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
        this.phase = 'refused';
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
    this.phase = 'claimed';
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
    if (!explorer) {
      this.catcher = new StallCatcher(cdp, {
        stallMs: this.opts.stallMs,
        onStall: (stall, profile) => this.report(stall, profile),
      });
      await this.catcher.enable();
    }
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
    this.phase = 'watching';
    this.opts.onEvent(attached);
    // The target's own explorer watches its loop: attach only passes its stalls on.
    if (this.catcher) this.catcher.run();
    else this.readingStalls = this.readStalls();
    this.sampleTimer = setInterval(() => void this.sample(), ATTACH_SAMPLE_MS);
  }

  private get stopping(): boolean {
    return this.phase === 'detaching';
  }

  private report(stall: Omit<Stall, 'id' | 'process'>, profile: CpuProfile | null | undefined): void {
    if (this.stopping) return;
    this.stallCount++;
    const listed: Stall = { ...stall, id: this.stallCount, process: `pid ${this.pid}` };
    this.windowStalls.push(listed);
    if (profile) this.opts.onStallProfile?.(this.stallCount, profile);
    this.opts.onEvent({ type: 'stall', ...listed });
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
      for (const { id, stall, profile } of batch) {
        afterId = Math.max(afterId, id);
        if (stall.durationMs >= this.opts.stallMs) this.report(stall, profile);
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

  private async sample(): Promise<void> {
    // Not while a pause is armed: the read would run inside the inspector's dispatch (see armPause).
    if (this.reading || this.stopping || this.catcher?.pauseArmed) return;
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
            requests: RequestStats;
            upstream: OriginWindow[] | null;
            waits: WaitWindow | null;
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
        requests: r.requests,
      };
      this.opts.onEvent(sample);
      const stalls = this.windowStalls;
      this.windowStalls = [];
      if (r.waits)
        this.diagnoser.sample({
          stalls,
          waits: r.waits,
          upstream: r.upstream ?? [],
          requestsP99Ms: r.requests.p99Ms,
          loopDelayP99Ms: r.p99,
          stallMs: this.opts.stallMs,
        });
    } catch {
      // The connection is going; detach reports why.
    } finally {
      this.reading = false;
    }
  }

  /**
   * Writes the target's heap snapshot to `file`. The target's thread is stopped while V8 walks its
   * heap: that pause is a real one its clients feel, and the stall watch reports it as any other.
   */
  async heapSnapshot(file: string): Promise<{ bytes: number; ms: number }> {
    if (this.phase !== 'watching')
      throw new LoopscopeError('inspector_unavailable', `pid ${this.pid} is not watched any more`);
    if (this.snapshotting)
      throw new LoopscopeError('bad_command', `a heap snapshot of pid ${this.pid} is being written already`);
    this.snapshotting = true;
    try {
      // Nothing is sent while a pause is armed (see StallCatcher.armPause): wait for it to pass.
      const deadline = Date.now() + SNAPSHOT_WAIT_MS;
      while (this.catcher?.pauseArmed) {
        if (Date.now() > deadline || this.stopping)
          throw new LoopscopeError(
            'attach_failed',
            `pid ${this.pid} is stalled: try the heap snapshot again`,
          );
        await delay(10);
      }
      return await takeHeapSnapshot(this.cdp, file);
    } finally {
      this.snapshotting = false;
    }
  }

  /**
   * Removes the sampler, stops the profiler and the debugger, closes the inspector port attach
   * opened, and reports `detached`. Safe to call more than once and after the target exited.
   */
  detach(reason: DetachReason): Promise<AttachDetached> {
    if (this.detaching) return this.detaching;
    const from = this.phase;
    this.phase = 'detaching';
    const installed = from === 'claimed' || from === 'watching';
    const refused = from === 'refused';
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    this.detaching = (async () => {
      let inspectorClosed: boolean | null = this.opened ? false : null;
      const gone = reason === 'target_exited' || !this.cdp.isOpen;
      if (!gone) {
        const cmd = (method: string, params: object = {}): Promise<unknown> =>
          this.cdp.send(method, params, DETACH_COMMAND_MS).catch(() => undefined);
        const settled = this.catcher?.stop(DETACH_COMMAND_MS);
        // Removing the sampler also answers a pending read of the explorer's stalls.
        if (installed)
          await cmd('Runtime.evaluate', { expression: removeScript(process.pid), returnByValue: true });
        // No awaited probe may be pending when the inspector closes: V8 would answer it on a
        // session already freed (nodejs/node#18761, a segfault in the target). The probe answers
        // within one turn of the loop; a target stalled past the wait keeps its inspector open.
        const probed = await Promise.race([
          Promise.all([settled ?? true, this.readingStalls]).then(([s]) => s),
          delay(DETACH_COMMAND_MS).then(() => false),
        ]);
        if (this.catcher && installed) await this.catcher.disable(cmd);
        if (this.opened && probed && !refused) {
          await cmd('Runtime.evaluate', {
            expression: CLOSE_INSPECTOR,
            includeCommandLineAPI: true,
            returnByValue: true,
          });
          // The target closes this connection itself. Closing it from here at the same moment
          // races inspector.close() and can crash the target (Node 20), so wait for it.
          await Promise.race([this.cdp.closed, delay(PORT_CLOSE_WAIT_MS)]);
        }
      } else {
        void this.catcher?.stop(0);
      }
      await this.cdp.close();
      if (this.opened && !refused) inspectorClosed = gone ? true : await portClosed(this.target.port);
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
      if (from === 'watching') {
        // The episodes still open end with the watch: each gets its closing line before `detached`.
        this.closingEpisodes = true;
        this.diagnoser.episodes.closeAll(detached.time);
        this.opts.onEvent(detached);
      }
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
