/**
 * The Electron app's lifecycle: start the app host (engine + load generator), open the window,
 * bind IPC, and on quit close everything — servers closed, generator process gone — before exiting.
 */
import { app, BrowserWindow, dialog } from 'electron';
import { createAppHost, type AppHost } from './control/app-host';
import { bindIpc } from './ipc';
import { createMainWindow } from './window';

let host: AppHost | null = null;
let quitting = false;

async function main(): Promise<void> {
  await app.whenReady();
  host = await createAppHost({ shell: 'electron', generator: 'eager', fallbackToFreePort: true });
  const window = createMainWindow();
  const unbind = bindIpc(host, window);
  window.on('closed', unbind);
}

app.on('window-all-closed', () => app.quit());

app.on('before-quit', (event) => {
  if (quitting || !host) return;
  // Hold the quit until the servers and the generator are gone, then quit for real.
  event.preventDefault();
  quitting = true;
  const closing = host;
  host = null;
  closing
    .close()
    .catch((err: unknown) => console.error('loopscope: shutdown failed:', err))
    .finally(() => app.quit());
});

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error('loopscope: could not start:', err);
  dialog.showErrorBox('Loopscope could not start', message);
  app.exit(1);
});

// Ctrl-C or a kill from a terminal goes through the same orderly quit, so no generator is orphaned.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

// A second window is never needed; focus the first.
app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
