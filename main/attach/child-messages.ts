/**
 * What the app and its attach process (main/attach/child.ts) say to each other over the fork's
 * IPC channel. The app sends a pid and a threshold, never text to evaluate; the child sends the
 * attach stream (docs/protocol.md §11) and, when attach could not start, why.
 */
import type { AttachEvent } from '../../common/attach';
import type { ErrorShape } from '../../common/errors';

export type ToAttachChild = { type: 'watch'; pid: number; stallMs: number } | { type: 'detach' };

export type FromAttachChild = { type: 'event'; event: AttachEvent } | { type: 'failed'; error: ErrorShape };
