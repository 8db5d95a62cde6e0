/**
 * The app's handle on its attach process (main/attach/child.ts): forks it, hands it one pid, and
 * relays its attach stream. Resolves once attached; rejects with attach's own error when it could
 * not attach. A child that dies without saying `detached` is reported as detached
 * (connection_lost) all the same, so the app never shows a watch that is gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AttachAttached, AttachDetached, AttachEvent } from '../../common/attach';
import type { CpuProfile } from '../../common/cpuprofile';
import { isErrorCode, LoopscopeError } from '../../common/errors';
import { entryPoint } from '../engine/entry-points';
import type { FromAttachChild, HeapSnapshotReply, ToAttachChild } from './child-messages';

/** How long the child gets to detach before it is killed (detach's own commands wait 2 s each). */
const DETACH_TIMEOUT_MS = 20_000;

export class AttachProcess {
  readonly done: Promise<AttachDetached>;
  private resolveDone!: (d: AttachDetached) => void;
  private detachedSeen = false;
  /** Heap snapshots asked of the child and not answered yet, by request id. */
  private readonly snapshots = new Map<number, (reply: HeapSnapshotReply | null) => void>();
  private nextSnapshotId = 1;

  private constructor(
    private readonly child: ChildProcess,
    readonly attached: AttachAttached,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** `onProfile`: a stall's samples, by the id of the `stall` event that follows it. */
  static start(
    pid: number,
    stallMs: number,
    onEvent: (event: AttachEvent) => void,
    onProfile: (id: number, profile: CpuProfile) => void = () => undefined,
  ): Promise<AttachProcess> {
    const entry = entryPoint('attach-watcher');
    const env = { ...process.env };
    // Inside Electron, process.execPath is the Electron binary; this flag makes it plain Node.
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    return new Promise((resolve, reject) => {
      let handle: AttachProcess | null = null;
      child.on('message', (msg: FromAttachChild) => {
        if (msg.type === 'failed') {
          const code = isErrorCode(msg.error.code) ? msg.error.code : 'attach_failed';
          reject(new LoopscopeError(code, msg.error.message));
          return;
        }
        if (msg.type === 'profile') {
          if (handle) onProfile(msg.id, msg.profile);
          return;
        }
        if (msg.type === 'heapSnapshot') {
          handle?.snapshots.get(msg.id)?.(msg);
          return;
        }
        const event = msg.event;
        if (event.type === 'attached') {
          handle = new AttachProcess(child, event);
          onEvent(event);
          resolve(handle);
          return;
        }
        if (!handle) return;
        if (event.type === 'detached') handle.ended(event);
        onEvent(event);
      });
      child.once('exit', (code, signal) => {
        if (!handle) {
          reject(
            new LoopscopeError(
              'attach_failed',
              `the attach process ended (${signal ?? code}) before it attached`,
            ),
          );
          return;
        }
        for (const settle of handle.snapshots.values()) settle(null);
        if (handle.detachedSeen) return;
        // It died without detaching (killed, crashed): say so; what it opened may still be open.
        const detached: AttachDetached = {
          type: 'detached',
          pid,
          reason: 'connection_lost',
          inspectorClosed: handle.attached.openedInspector ? false : null,
          stalls: 0,
          time: Date.now(),
        };
        handle.ended(detached);
        onEvent(detached);
      });
      child.send({ type: 'watch', pid, stallMs } satisfies ToAttachChild);
    });
  }

  /** Has the child write the target's heap snapshot to `file` (a path the app made). */
  heapSnapshot(file: string): Promise<{ bytes: number; ms: number }> {
    if (this.detachedSeen || !this.child.connected)
      return Promise.reject(new LoopscopeError('inspector_unavailable', 'the watch has ended'));
    const id = this.nextSnapshotId++;
    return new Promise((resolve, reject) => {
      this.snapshots.set(id, (reply) => {
        this.snapshots.delete(id);
        if (!reply)
          reject(new LoopscopeError('attach_failed', 'the attach process ended during the heap snapshot'));
        else if ('error' in reply)
          reject(
            new LoopscopeError(
              isErrorCode(reply.error.code) ? reply.error.code : 'attach_failed',
              reply.error.message,
            ),
          );
        else resolve({ bytes: reply.bytes, ms: reply.ms });
      });
      this.child.send({ type: 'heapSnapshot', id, file } satisfies ToAttachChild);
    });
  }

  /** Asks the child to detach; resolves with its `detached` (killed past a deadline). */
  detach(): Promise<AttachDetached> {
    if (!this.detachedSeen && this.child.connected)
      this.child.send({ type: 'detach' } satisfies ToAttachChild);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), DETACH_TIMEOUT_MS);
    return this.done.finally(() => clearTimeout(killer));
  }

  private ended(detached: AttachDetached): void {
    this.detachedSeen = true;
    this.resolveDone(detached);
  }
}
