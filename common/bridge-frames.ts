/**
 * Frames of the browser-mode WebSocket bridge (main/dashboard/bridge.ts ↔ renderer/bridge.ts).
 * They carry exactly the typed API of common/api.ts: a command with its reply, or a pushed event.
 */
import type { ApiErrorShape, ApiEvents, EventName } from './api';

/** Path of the bridge on the dashboard's port; the token travels as ?token=. */
export const BRIDGE_PATH = '/bridge';

/** Renderer → app: run one command. `id` pairs the reply with the request. */
export interface CommandFrame {
  id: number;
  name: string;
  payload: unknown;
}

/** App → renderer: the outcome of one command. `id` is null when the frame could not be read at all. */
export type ReplyFrame =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number | null; ok: false; error: ApiErrorShape };

/** App → renderer: one pushed event. */
export interface EventFrame<E extends EventName = EventName> {
  type: 'event';
  event: E;
  data: ApiEvents[E];
}

export type ServerFrame = ReplyFrame | EventFrame;
