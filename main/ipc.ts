/**
 * Binds the typed API to Electron IPC: one handler per declared command, every payload validated by
 * the app host (validateCommand) before anything runs, and events forwarded to the window. A bad
 * payload gets an error result; nothing a renderer sends can throw in main.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES, ipcChannel, type CommandResult } from '../common/api';
import type { AppHost } from './control/app-host';

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
  // Until the page has loaded nobody listens: periodic events are simply dropped, notices wait.
  let loaded = false;
  const waiting: (() => void)[] = [];
  window.webContents.once('did-finish-load', () => {
    loaded = true;
    for (const send of waiting.splice(0)) send();
  });
  const unsubscribers = EVENT_NAMES.map((event) =>
    host.on(event, (data) => {
      const send = () => {
        if (!window.isDestroyed()) window.webContents.send(ipcChannel.event(event), data);
      };
      if (loaded) send();
      else if (event === 'notice' && waiting.length < 20) waiting.push(send);
    }),
  );
  return () => {
    for (const name of COMMAND_NAMES) ipcMain.removeHandler(ipcChannel.command(name));
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
