/**
 * The one BrowserWindow, locked down per Electron's security checklist: context isolation, sandbox,
 * no Node in the page, a strict CSP on every response, no navigation away, no new windows.
 */
import { BrowserWindow, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from './dashboard/csp';

export function createMainWindow(): BrowserWindow {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  // The dashboard never needs camera, notifications or the like.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, grant) => grant(false));

  const window = new BrowserWindow({
    width: 1500,
    height: 960,
    minWidth: 960,
    minHeight: 640,
    show: false,
    backgroundColor: '#0c1118',
    title: 'Loopscope',
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  void window.loadFile(fileURLToPath(new URL('../renderer/index.html', import.meta.url)));
  return window;
}
