/**
 * Browser mode, as `serve` runs it: an app host that owns the demo server, plus the dashboard
 * server in front of it. When the dashboard cannot start (renderer not built, port taken) the
 * demo server runs on and the reason is given; the host is closed with everything it started.
 */
import { createAppHost, type AppHost } from '../control/app-host';
import type { EngineOptions } from '../engine/engine';
import { hasCode, isLoopscopeError } from '../../common/errors';
import { startDashboard, type Dashboard } from './dashboard';

export interface BrowserMode {
  readonly host: AppHost;
  /** null when the dashboard could not start; `problem` says why. */
  readonly dashboard: Dashboard | null;
  readonly problem: string | null;
  /** Set when the asked port was taken and a free one was used instead: says which. */
  readonly fellBack: string | null;
  close(): Promise<void>;
}

export async function startBrowserMode(options: {
  engineOptions: EngineOptions;
  /** docs/protocol.md §10: server processes behind the demo server's port (default 1). */
  serverWorkers?: number;
  port?: number;
  /** When the port is taken, take a free one (like the demo server at start) instead of running without. */
  fallbackToFreePort?: boolean;
}): Promise<BrowserMode> {
  const host = await createAppHost({
    shell: 'browser',
    engineOptions: options.engineOptions,
    serverWorkers: options.serverWorkers,
    generator: 'lazy',
  });
  let dashboard: Dashboard | null = null;
  let problem: string | null = null;
  let fellBack: string | null = null;
  try {
    try {
      dashboard = await startDashboard({
        host,
        ...(options.port !== undefined ? { port: options.port } : {}),
      });
    } catch (err) {
      if (!options.fallbackToFreePort || !hasCode(err, 'port_in_use')) throw err;
      dashboard = await startDashboard({ host, port: 0 });
      fellBack = `${err.message}; the dashboard took port ${new URL(dashboard.url).port} instead`;
    }
  } catch (err) {
    if (!isLoopscopeError(err)) {
      await host.close();
      throw err;
    }
    const hint =
      err.code === 'port_in_use' ? '; choose another with --dashboard-port N, or --no-dashboard' : '';
    problem = `${err.message}${hint}`;
  }
  return {
    host,
    dashboard,
    problem,
    fellBack,
    async close() {
      await dashboard?.close();
      await host.close();
    },
  };
}
