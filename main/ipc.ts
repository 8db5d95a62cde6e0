/**
 * Binds the typed API to Electron IPC: one handler per declared command, every payload validated by
 * the app host (validateCommand) before anything runs, and events forwarded to the window. A bad
 * payload gets an error result; nothing a renderer sends can throw in main.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES, ipcChannel } from '../common/api';
import type { AppHost, CommandResult } from './control/app-host';

export function bindIpc(host: AppHost, window: BrowserWindow): () => void {
  const trusted = (event: IpcMainInvokeEvent): boolean => event.sender === window.webContents;
  for (const name of COMMAND_NAMES) {
    ipcMain.handle(ipcChannel.command(name), (event, payload: unknown): Promise<CommandResult> => {
      if (!trusted(event)) {
        return Promise.resolve({ ok: false, error: { code: 'forbidden', message: 'unknown sender' } });
      }
      return host.handle(name, payload);
    });
  }
  const unsubscribers = EVENT_NAMES.map((event) =>
    host.on(event, (data) => {
      if (!window.isDestroyed()) window.webContents.send(ipcChannel.event(event), data);
    }),
  );
  return () => {
    for (const name of COMMAND_NAMES) ipcMain.removeHandler(ipcChannel.command(name));
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
