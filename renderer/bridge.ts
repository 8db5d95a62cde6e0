/**
 * The renderer's one door to the app. Inside Electron the preload has put the typed API on
 * window.loopscope (IPC); in a browser the same API is carried by the dashboard's WebSocket bridge,
 * authenticated by the token in the page's URL. The rest of the renderer cannot tell them apart.
 */
import type {
  ApiErrorShape,
  ApiEvents,
  CommandName,
  CommandPayload,
  CommandReplies,
  EventName,
  LoopscopeApi,
} from '../common/api';
import { BRIDGE_PATH, type CommandFrame, type ServerFrame } from '../common/bridge-frames';

/** 'refused': the bridge never accepted this page (a wrong or stale token: the same page as none). */
export type BridgeStatus = 'connecting' | 'connected' | 'disconnected' | 'refused';

/** What the page says when it has no token, or one the running app does not accept. */
export const TOKEN_HELP =
  'This page needs the address that “npm run serve” (or “npm start”) printed, token included. ' +
  'The token is valid for the life of that process: after a restart, use the new address it printed.';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Bridge {
  api: LoopscopeApi;
  kind: 'ipc' | 'websocket';
  onStatus(listener: (status: BridgeStatus) => void): void;
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const shape = err as Partial<ApiErrorShape> | null;
  if (shape && typeof shape.code === 'string') return new ApiError(shape.code, shape.message ?? shape.code);
  return new ApiError('internal_error', err instanceof Error ? err.message : String(err));
}

export function openBridge(): Bridge {
  const preload = (window as Window & { loopscope?: LoopscopeApi }).loopscope;
  if (preload) {
    return {
      kind: 'ipc',
      api: {
        invoke: (name, payload) =>
          preload.invoke(name, payload).catch((err: unknown) => Promise.reject(asApiError(err))),
        on: (event, listener) => preload.on(event, listener),
      },
      onStatus: (listener) => listener('connected'),
    };
  }
  const token = new URLSearchParams(location.search).get('token');
  if (!token) throw new ApiError('no_token', TOKEN_HELP);
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${BRIDGE_PATH}?token=${encodeURIComponent(token)}`;
  const socketApi = new SocketApi(url);
  return { kind: 'websocket', api: socketApi, onStatus: (l) => socketApi.onStatus(l) };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: ApiError) => void;
}

/** Reconnects a bounded number of times with a growing delay; commands fail fast while offline. */
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000];
const MAX_RECONNECTS = 60;
/** Failed attempts, none ever open, after which the page is taken to be refused. */
const REFUSED_AFTER = 2;

class SocketApi implements LoopscopeApi {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(data: never) => void>>();
  private readonly statusListeners = new Set<(s: BridgeStatus) => void>();
  private status: BridgeStatus = 'connecting';
  private reconnects = 0;
  private everOpened = false;

  constructor(private readonly url: string) {
    this.connect();
  }

  onStatus(listener: (s: BridgeStatus) => void): void {
    this.statusListeners.add(listener);
    listener(this.status);
  }

  invoke<K extends CommandName>(name: K, payload: CommandPayload<K>): Promise<CommandReplies[K]> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ApiError('disconnected', 'not connected to the app'));
    }
    const id = this.nextId++;
    const frame: CommandFrame = { id, name, payload };
    return new Promise<CommandReplies[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify(frame));
    });
  }

  on<E extends EventName>(event: E, listener: (data: ApiEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set.delete(listener as (data: never) => void);
  }

  private setStatus(status: BridgeStatus): void {
    this.status = status;
    for (const l of this.statusListeners) l(status);
  }

  private connect(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.setStatus('connecting');
    socket.addEventListener('open', () => {
      this.reconnects = 0;
      this.everOpened = true;
      this.setStatus('connected');
    });
    socket.addEventListener('message', (msg) => this.receive(msg.data));
    socket.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new ApiError('disconnected', 'the app went away'));
      this.pending.clear();
      // The page was served by this very app, so it is up: a bridge that turns this page away
      // every time, from the first attempt on, is refusing its token.
      if (!this.everOpened && this.reconnects >= REFUSED_AFTER) {
        this.setStatus('refused');
        return;
      }
      this.setStatus('disconnected');
      if (this.reconnects < MAX_RECONNECTS) {
        const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnects, RECONNECT_DELAYS_MS.length - 1)];
        this.reconnects++;
        setTimeout(() => this.connect(), delay);
      }
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    const frame = JSON.parse(data) as ServerFrame;
    if (frame.type === 'event') {
      for (const l of this.listeners.get(frame.event) ?? []) (l as (d: unknown) => void)(frame.data);
      return;
    }
    if (frame.id === null) {
      console.error('bridge refused a frame:', frame.ok ? frame : frame.error);
      return;
    }
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    if (frame.ok) pending.resolve(frame.value);
    else pending.reject(new ApiError(frame.error.code, frame.error.message));
  }
}
