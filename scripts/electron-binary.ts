/**
 * Where the Electron binary is, or why it is not usable — without require('electron'), which would
 * try to download the binary when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

export function findElectronBinary(): ElectronBinary {
  const require = createRequire(import.meta.url);
  let moduleDir: string;
  try {
    moduleDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed (run npm install)' };
  }
  const pathFile = join(moduleDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      ok: false,
      reason: `Electron binary not installed: ${pathFile} missing (its download is not available)`,
    };
  }
  const binary = join(moduleDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { ok: false, reason: `Electron binary not installed: ${binary} missing` };
  return { ok: true, path: binary };
}

/** Electron needs a display on Linux; elsewhere there always is one. */
export function displayProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  return 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}
