/**
 * What every route and socket handler may use: the engine's parts, passed explicitly so each
 * handler module states what it touches.
 */
import type { Agent, ServerResponse } from 'node:http';
import type { BcryptService } from '../bcrypt/service';
import type { Feed } from '../feed';
import type { QueueState, SharedState } from '../state/types';
import type { EngineCounters } from '../metrics/counters';
import type { PrometheusExport } from '../metrics/prometheus';
import type { Sampler } from '../metrics/sampler';
import type { StallLog } from '../../stalls/stall-log';
import type { Episodes } from '../../diagnosis/episodes';
import type { Exchange } from './exchange';
import type { LongPolls } from './long-polls';

export interface ServerContext {
  readonly counters: EngineCounters;
  readonly feed: Feed;
  readonly queue: QueueState;
  /** The feed's and queue's state (docs/protocol.md §10): this process's memory, or Redis. */
  readonly state: SharedState;
  readonly bcrypt: BcryptService;
  readonly sampler: Sampler;
  readonly prometheus: PrometheusExport;
  /** docs/protocol.md §9: this process's stalls and the threshold. */
  readonly stalls: StallLog;
  /** docs/protocol.md §12: why its clients waited, as episodes. */
  readonly diagnoses: Episodes;
  readonly longPolls: LongPolls;
  /** Open /feed/events streams: the keep-alive heartbeat and shutdown walk this one set. */
  readonly sseStreams: Set<ServerResponse>;
  /** Keep-alive client /aggregate uses to call this same server. */
  readonly agent: Agent;
  /** Under §10: the /stats body for every process, from this one's. */
  readonly statsView?: (own: Record<string, unknown>) => Record<string, unknown>;
  /** Under §10: the /metrics text of every process. */
  readonly metricsView?: () => Promise<string>;
  /** Base URL this server can reach itself on, e.g. http://127.0.0.1:8888 */
  selfUrl(): string;
}

export type Handler = (ex: Exchange, ctx: ServerContext) => void | Promise<void>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  /** Exact, or with `:name` segments (`/stalls/:id/profile`) that the handler reads from `ex.params`. */
  path: string;
  handle: Handler;
  /** GET routes answer HEAD too, unless they stream (a HEAD stream would never end). */
  noHead?: boolean;
}
