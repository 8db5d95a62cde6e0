/**
 * Browser mode: one loopback HTTP server that serves the built renderer and upgrades
 * /bridge?token=… to the typed-API WebSocket bridge. The printed URL carries the token; nothing
 * answers without it except the static files, which hold no data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { AppHost } from '../control/app-host';
import { LoopscopeError } from '../../common/errors';
import { createBridge } from './bridge';
import { checkRequest } from './request-guard';
import { sendError, serveStatic } from './static-files';

export const DEFAULT_DASHBOARD_PORT = 8890;
const BIND_HOST = '127.0.0.1';

export interface DashboardOptions {
  host: AppHost;
  /** Default 8890; 0 picks a free port. */
  port?: number;
  /** The built renderer; defaults to out/renderer at the project root. */
  rendererDir?: string;
}

export interface Dashboard {
  /** http://127.0.0.1:PORT/?token=… — what the user opens. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../../out/renderer', import.meta.url));
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  if (!existsSync(`${rendererDir}/index.html`)) {
    throw new LoopscopeError(
      'renderer_not_built',
      `the dashboard is not built (${rendererDir}/index.html is missing): run \`npm run build\``,
      { rendererDir },
    );
  }
  const token = randomBytes(24).toString('base64url');
  let port = 0;
  const allowedHosts = (): string[] => [`${BIND_HOST}:${port}`, `localhost:${port}`];
  const bridge = createBridge({
    host: options.host,
    token,
    allowedHosts,
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const checked = checkRequest(req, allowedHosts());
    if (!checked.ok) {
      sendError(res, checked.refusal);
      return;
    }
    serveStatic(rendererDir, checked.url.pathname, req, res).catch((err: unknown) => {
      console.error('dashboard: serving a file failed:', err);
      if (!res.headersSent) sendError(res, new LoopscopeError('internal_error', 'could not read the file'));
      else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    bridge.handleUpgrade(req, socket, head),
  );
  // No 'clientError' listener on purpose: for what node:http cannot parse at all, its default
  // answers 400 (431 for oversized headers) and hangs up, without a log line.

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const wanted = options.port ?? DEFAULT_DASHBOARD_PORT;
      reject(
        err.code === 'EADDRINUSE'
          ? new LoopscopeError('port_in_use', `dashboard port ${wanted} is in use`, {
              host: BIND_HOST,
              port: wanted,
            })
          : err,
      );
    });
    server.listen(options.port ?? DEFAULT_DASHBOARD_PORT, BIND_HOST, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${BIND_HOST}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        bridge.close();
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
