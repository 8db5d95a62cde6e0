/**
 * Where the engine's separate entry points (worker threads, child processes) live.
 *
 * Run from source (tsx, vitest), this file is main/engine/entry-points.ts and the entries are the
 * .ts files beside it, loaded through tsx. Bundled by electron-vite, this code sits in
 * out/main/<bundle>.js and each entry is a sibling out/main/<name>.js (see electron.vite.config.ts).
 */
import { fileURLToPath } from 'node:url';

const SOURCES = {
  'attach-watcher': '../attach/child.ts',
  'bcrypt-worker': './bcrypt/worker.ts',
  'load-generator': '../load/child.ts',
  'stall-watchdog': '../stalls/watchdog-worker.ts',
  'server-worker': './cluster/worker-entry.ts',
} as const;

export type EntryName = keyof typeof SOURCES;

export interface EntryPoint {
  /** Absolute file path of the module to run. */
  file: string;
  /** Node flags the thread or process needs to load it. */
  execArgv: string[];
}

const fromSource = import.meta.url.endsWith('.ts');

export function entryPoint(name: EntryName): EntryPoint {
  if (fromSource) {
    return { file: fileURLToPath(new URL(SOURCES[name], import.meta.url)), execArgv: ['--import', 'tsx'] };
  }
  return { file: fileURLToPath(new URL(`./${name}.js`, import.meta.url)), execArgv: [] };
}
