/**
 * The preload: exposes exactly the typed API of common/api.ts as window.loopscope — functions that
 * call fixed, derived channels — and never ipcRenderer itself. Runs sandboxed, bundled as CJS.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  ApiEvents,
  CommandName,
  CommandPayload,
  CommandReplies,
  EventName,
  LoopscopeApi,
} from '../common/api';
import { EVENT_NAMES, isCommandName, ipcChannel, type CommandResult } from '../common/api';

const api: LoopscopeApi = {
  async invoke<K extends CommandName>(name: K, payload: CommandPayload<K>): Promise<CommandReplies[K]> {
    if (!isCommandName(name)) {
      throw { code: 'unknown_command', message: `unknown command ${JSON.stringify(name)}` };
    }
    const result = (await ipcRenderer.invoke(ipcChannel.command(name), payload)) as CommandResult;
    // A plain object survives the context bridge with its code; an Error would keep only its message.
    if (!result.ok) throw { code: result.error.code, message: result.error.message };
    return result.value as CommandReplies[K];
  },
  on<E extends EventName>(event: E, listener: (data: ApiEvents[E]) => void): () => void {
    if (!(EVENT_NAMES as readonly string[]).includes(event))
      throw new Error(`unknown event ${String(event)}`);
    const channel = ipcChannel.event(event);
    const handler = (_e: IpcRendererEvent, data: ApiEvents[E]) => listener(data);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
};

contextBridge.exposeInMainWorld('loopscope', api);
