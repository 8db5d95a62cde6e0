/**
 * The app's handle on its attach process (main/attach/child.ts): forks it, hands it one pid, and
 * relays its attach stream. Resolves once attached; rejects with attach's own error when it could
 * not attach. A child that dies without saying `detached` is reported as detached
 * (connection_lost) all the same, so the app never shows a watch that is gone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AttachAttached, AttachDetached, AttachEvent } from '../../common/attach';
import { isErrorCode, LoopscopeError } from '../../common/errors';
import { entryPoint } from '../engine/entry-points';
import type { FromAttachChild, ToAttachChild } from './child-messages';

/** How long the child gets to detach before it is killed (detach's own commands wait 2 s each). */
const DETACH_TIMEOUT_MS = 20_000;

export class AttachProcess {
  readonly done: Promise<AttachDetached>;
  private resolveDone!: (d: AttachDetached) => void;
  private detachedSeen = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly attached: AttachAttached,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  static start(pid: number, stallMs: number, onEvent: (event: AttachEvent) => void): Promise<AttachProcess> {
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
