/** How people are told each client kind (the kinds themselves are common/load.ts's): the dashboard and the app's notices. */
import type { ClientKind } from './load';

export const KIND_LABELS: Record<ClientKind, string> = {
  'ws-prime': 'WS prime',
  'ws-feed': 'WS feed',
  sse: 'SSE',
  'long-poll': 'Long poll',
  http: 'HTTP',
  publisher: 'Publisher',
  'job-producer': 'Job producer',
  'ws-echo': 'WebSocket echo',
};
