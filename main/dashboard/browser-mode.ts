/**
 * Browser mode for the `serve` command: an app host over the engine `serve` already runs, plus the
 * dashboard server. Closing it closes the dashboard, the load generator and the engine.
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
    // The engine stays `serve`'s to run and close when the dashboard cannot start.
    await host.close({ keepEngine: true });
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
