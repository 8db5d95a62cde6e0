/**
 * The app's "Watch a process": at most one attach at a time, run in a process of its own
 * (main/attach/child.ts), started only on an explicit pid that the app's own list offers, its
 * attach stream forwarded as `watch` events. The samples of its latest stalls are kept here for the
 * dashboard's "Download .cpuprofile" and flame graph (`profile`).
 *
 * What it refuses, each with its own code: a pid that does not exist (no_such_process), another
 * user's (not_same_user), not a Node executable (not_node_process), the app itself, its load
 * generator or its workers (not_watchable), a second watch (already_attached). Nothing a command
 * carries is evaluated in the target: only the pid and a threshold reach attach.
 *
 * Plain Node: never imports electron.
 */
import type { AttachDetached, WatchableProcess, WatchEvent, WatchState } from '../../common/attach';
import type { HeapSnapshotWritten } from '../../common/api';
import type { CpuProfile } from '../../common/cpuprofile';
import { LoopscopeError, type NoticeCode } from '../../common/errors';
import { STALL_LIST_MAX, STALL_THRESHOLD_MS } from '../../common/limits';
import { checkProcess, listNodeProcesses, processTree } from '../attach/processes';
import { AttachProcess } from '../attach/attach-process';
import { snapshotPath } from './heap-snapshot';

export interface ProcessWatchHooks {
  emit(event: WatchEvent): void;
  notice(level: 'info' | 'warn' | 'error', code: NoticeCode, message: string): void;
}

export class ProcessWatch {
  private attachment: AttachProcess | null = null;
  private state: WatchState | null = null;
  /** An attach under way: a second one is refused until it settles, and closing waits for it. */
  private starting: Promise<unknown> | null = null;
  private closed = false;
  /** The latest STALL_LIST_MAX stalls' samples of the process watched last, by stall id. */
  private profiles: { pid: number; byId: Map<number, CpuProfile> } | null = null;

  constructor(private readonly hooks: ProcessWatchHooks) {}

  get watching(): WatchState | null {
    return this.state;
  }

  /** Node processes of this user, without the app's own tree (itself, its generator, workers). */
  async list(): Promise<WatchableProcess[]> {
    const list = await listNodeProcesses(processTree(process.pid));
    // The watched process's inspector is known here even where the listing cannot see it (a port
    // its code chose at runtime: the listing asks only ports its options name).
    const watched = this.state;
    if (watched) {
      const row = list.find((p) => p.pid === watched.pid);
      if (row) row.inspectorPort = Number(watched.inspector.slice(watched.inspector.lastIndexOf(':') + 1));
    }
    return list.sort((a, b) => a.pid - b.pid);
  }

  /** The samples of stall `id` of `pid`, while they are kept (until the next watch). */
  profile(pid: number, id: number): CpuProfile {
    const profile = this.profiles?.pid === pid ? this.profiles.byId.get(id) : undefined;
    if (!profile)
      throw new LoopscopeError(
        'not_found',
        `no profile for stall ${id} of pid ${pid}: the latest ${STALL_LIST_MAX} stalls of the process watched last are kept`,
      );
    return profile;
  }

  /** The watched process's heap, written by the attach process into `dir` (checked by the caller). */
  async heapSnapshot(pid: number, dir: string): Promise<HeapSnapshotWritten> {
    const attachment = this.attachment;
    if (!attachment || this.state?.pid !== pid)
      throw new LoopscopeError('not_found', `pid ${pid} is not watched: watch it first`);
    const file = snapshotPath(dir, pid);
    const { bytes, ms } = await attachment.heapSnapshot(file);
    return { path: file, bytes, ms, pid };
  }

  private keepProfile(pid: number, id: number, profile: CpuProfile): void {
    if (this.profiles?.pid !== pid) this.profiles = { pid, byId: new Map() };
    const byId = this.profiles.byId;
    byId.set(id, profile);
    // A Map iterates in insertion order: the first key is the oldest stall.
    if (byId.size > STALL_LIST_MAX) byId.delete(byId.keys().next().value!);
  }

  async watch(pid: number, stallMs = STALL_THRESHOLD_MS.default!): Promise<WatchState> {
    if (this.attachment || this.starting) {
      const current = this.state ? `pid ${this.state.pid}` : 'another process';
      throw new LoopscopeError('already_attached', `already watching ${current}: detach first`);
    }
    const run = this.start(pid, stallMs);
    this.starting = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.starting = null;
    }
  }

  private async start(pid: number, stallMs: number): Promise<WatchState> {
    const own = processTree(process.pid);
    const offered = (await listNodeProcesses(own)).find((p) => p.pid === pid);
    if (!offered) {
      if (own.has(pid))
        throw new LoopscopeError(
          'not_watchable',
          `pid ${pid} is Loopscope itself or one of its own processes (its load generator, a worker)`,
        );
      // Says why: gone, another user's, or not Node.
      checkProcess(pid);
      throw new LoopscopeError('not_watchable', `pid ${pid} is not in the list of processes: refresh it`);
    }
    let attachedPid = 0;
    this.profiles = null;
    // In a process of its own: see main/attach/child.ts for why not on the app's loop.
    const attachment = await AttachProcess.start(
      pid,
      stallMs,
      (event) => {
        if (event.type === 'attached') {
          attachedPid = event.pid;
          this.state = {
            pid: event.pid,
            command: offered.command,
            inspector: event.inspector,
            openedInspector: event.openedInspector,
            nodeVersion: event.nodeVersion,
            stallThresholdMs: event.stallThresholdMs,
            since: event.time,
          };
        }
        if (event.type === 'detached') this.ended(event);
        this.hooks.emit({ pid: attachedPid || pid, command: offered.command, event });
      },
      (id, profile) => this.keepProfile(attachedPid || pid, id, profile),
    );
    if (this.closed) {
      // The app began closing while the attach was under way: leave nothing in the target.
      await attachment.detach();
      throw new LoopscopeError('shutting_down', 'the app is shutting down');
    }
    // It may have ended already (the target exited at once): detached was reported then.
    if (!this.state) throw new LoopscopeError('no_such_process', `pid ${pid} went away as attach began`);
    this.attachment = attachment;
    return this.state;
  }

  /** Detaches; null when nothing was watched. */
  async unwatch(): Promise<AttachDetached | null> {
    const attachment = this.attachment;
    if (!attachment) return null;
    return attachment.detach();
  }

  /** The app is closing: detach, so the target is left as it was found. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    await this.unwatch();
  }

  private ended(detached: AttachDetached): void {
    const state = this.state;
    this.attachment = null;
    this.state = null;
    if (detached.reason === 'request' || !state) return;
    this.hooks.notice(
      'warn',
      'watch_ended',
      detached.reason === 'target_exited'
        ? `pid ${state.pid} (${state.command}) exited; back to the demo server`
        : `lost the inspector connection to pid ${state.pid}; back to the demo server`,
    );
  }
}
