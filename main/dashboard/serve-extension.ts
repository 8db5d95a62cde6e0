/**
 * The browser dashboard as a `serve` extension: started beside the engine unless --no-dashboard,
 * on --dashboard-port (default 8890, 0 = free). It prints the URL with its token. When it cannot
 * start (renderer not built, port taken) it says why in one line and the demo server runs on.
 */
import type { ServeExtension } from '../cli/serve';
import { isLoopscopeError } from '../../common/errors';
import { startBrowserMode } from './browser-mode';

export const dashboardExtension: ServeExtension = async (engine, flags) => {
  if (flags.dashboardPort === null) return { close: async () => undefined };
  try {
    const mode = await startBrowserMode({ engine, port: flags.dashboardPort });
    console.log(`dashboard: ${mode.dashboard.url}`);
    return mode;
  } catch (err) {
    if (!isLoopscopeError(err)) throw err;
    const hint =
      err.code === 'port_in_use' ? '; choose another with --dashboard-port N, or --no-dashboard' : '';
    console.error(`serve: no dashboard: ${err.message}${hint}`);
    return { close: async () => undefined };
  }
};
