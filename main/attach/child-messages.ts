/**
 * What the app and its attach process (main/attach/child.ts) say to each other over the fork's
 * IPC channel. The app sends a pid and a threshold, never text to evaluate; the child sends the
 * attach stream (docs/protocol.md §11), each stall's samples, and, when attach could not start, why.
 */
import type { AttachEvent } from '../../common/attach';
import type { CpuProfile } from '../../common/cpuprofile';
import type { ErrorShape } from '../../common/errors';

export type ToAttachChild =
  | { type: 'watch'; pid: number; stallMs: number }
  | { type: 'detach' }
  /** Write the target's heap snapshot to `file`, a path the app made (never the page). */
  | { type: 'heapSnapshot'; id: number; file: string };

/** How a heap snapshot asked for by `id` ended. */
export type HeapSnapshotReply =
  | { type: 'heapSnapshot'; id: number; bytes: number; ms: number }
  | { type: 'heapSnapshot'; id: number; error: ErrorShape };

export type FromAttachChild =
  | { type: 'event'; event: AttachEvent }
  /** The samples of stall `id`, sent just before its `stall` event. */
  | { type: 'profile'; id: number; profile: CpuProfile }
  | { type: 'failed'; error: ErrorShape }
  | HeapSnapshotReply;
