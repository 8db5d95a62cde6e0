/**
 * One client of a request kind (request-kind.ts): one keep-alive connection, the requests written
 * on it and not yet answered, and those due while it was full.
 */
import type { Connection } from './connection-pool';
import type { HttpConnection } from './http-connection';

export class RequestClient implements Connection {
  state: Connection['state'] = 'connecting';
  readonly startedAt = performance.now();
  conn!: HttpConnection;
  /** Requests written and not yet answered, oldest first: their due times, and whether RTT counts them. */
  readonly waiting: number[] = [];
  readonly measured: boolean[] = [];
  /** Due times of requests waiting for room on the connection. */
  readonly backlog: number[] = [];
  replies = 0;
  closing = false;
  resumes = 0;

  constructor(
    /** A lane of the aggregate rate sender rather than a spawned client. */
    readonly rate: boolean,
    readonly localAddress: string | undefined,
  ) {}

  close(): void {
    this.closing = true;
    this.conn.close();
  }

  destroy(): void {
    this.closing = true;
    this.conn.destroy();
  }
}
