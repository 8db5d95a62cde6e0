/**
 * Browser mode for the `serve` command: an app host over the engine `serve` already runs, plus the
 * dashboard server. Closing it closes the dashboard and the load generator; the engine
 * stays `serve`'s to close (unless the dashboard moved the demo server to another port).
 */
import type { AppHost } from '../control/app-host';
import { createAppHost } from '../control/app-host';
import type { Engine } from '../engine/engine';
import { startDashboard, type Dashboard } from './dashboard';

export interface BrowserMode {
  readonly host: AppHost;
  readonly dashboard: Dashboard;
  close(): Promise<void>;
}

export async function startBrowserMode(options: { engine: Engine; port?: number }): Promise<BrowserMode> {
  const host = await createAppHost({ shell: 'browser', engine: options.engine, generator: 'lazy' });
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({ host, ...(options.port !== undefined ? { port: options.port } : {}) });
  } catch (err) {
    // The adopted engine stays `serve`'s to run and close.
    await host.close();
    throw err;
  }
  return {
    host,
    dashboard,
    async close() {
      await dashboard.close();
      await host.close();
    },
  };
}
