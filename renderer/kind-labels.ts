/** How the dashboard names each client kind (the kinds themselves are common/load.ts's). */
import type { ClientKind } from '../common/load';

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
