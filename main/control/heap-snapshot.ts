/**
 * Heap snapshots on disk: where they may go, what they are called, and the demo server's own.
 * The page names a directory only; the file's name is made here, so nothing the page sends can
 * reach a file outside the directory it names or overwrite one.
 *
 * Plain Node: never imports electron.
 */
import { constants, accessSync, mkdirSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { HeapSnapshotWritten } from '../../common/api';
import { LoopscopeError } from '../../common/errors';

const DIR_NAME = 'loopscope-snapshots';

/** ~/loopscope-snapshots, or under the OS temp dir when the home directory cannot be written. */
export function defaultSnapshotDir(): string {
  try {
    accessSync(os.homedir(), constants.W_OK);
    return path.join(os.homedir(), DIR_NAME);
  } catch {
    return path.join(os.tmpdir(), DIR_NAME);
  }
}

/**
 * The directory a snapshot goes to: the one given, when it is an absolute path to an existing,
 * writable directory (bad_directory otherwise, saying which); absent, the default, made if need be.
 */
export function snapshotDir(given: string | undefined): string {
  if (given === undefined) {
    const dir = defaultSnapshotDir();
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  if (!path.isAbsolute(given))
    throw new LoopscopeError(
      'bad_directory',
      `heap snapshot directory must be an absolute path, got "${given}"`,
    );
  let isDir: boolean;
  try {
    isDir = statSync(given).isDirectory();
  } catch {
    throw new LoopscopeError('bad_directory', `heap snapshot directory ${given} does not exist`);
  }
  if (!isDir) throw new LoopscopeError('bad_directory', `${given} is not a directory`);
  try {
    accessSync(given, constants.W_OK);
  } catch {
    throw new LoopscopeError('bad_directory', `heap snapshot directory ${given} is not writable`);
  }
  return path.normalize(given);
}

/**
 * heap-PID-2025-01-31T12-00-00-000Z.heapsnapshot: ISO time with ':' and '.' as '-', so the name is
 * valid on every file system and sorts by time.
 */
export function snapshotPath(dir: string, pid: number, at = new Date()): string {
  return path.join(dir, `heap-${pid}-${at.toISOString().replace(/[:.]/g, '-')}.heapsnapshot`);
}

/**
 * The app's own process's heap, where the one-process demo server runs. Synchronous: V8 stops
 * this process while it writes (its loop, the bridge, the demo server with it).
 */
export async function writeOwnSnapshot(dir: string): Promise<HeapSnapshotWritten> {
  const file = snapshotPath(dir, process.pid);
  const started = performance.now();
  const written = v8.writeHeapSnapshot(file);
  const ms = performance.now() - started;
  return { path: written, bytes: (await stat(written)).size, ms: Math.round(ms), pid: process.pid };
}
