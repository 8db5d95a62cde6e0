/**
 * A recording's first line: what made it, where and when, so a file found months later still says
 * which version ran on how many cores against what.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordingMeta } from '../../common/recording';

/** The project's root: where package.json is, above this module (source) or the bundle (out/). */
function projectRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'loopscope') return dir;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return null;
}

function loopscopeVersion(root: string | null): { version: string; commit: string | null } {
  if (root === null) return { version: 'unknown', commit: null };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2_000,
    })
      .toString()
      .trim();
  } catch {
    // not a git checkout (an installed copy): the version alone
  }
  return { version: pkg.version, commit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null };
}

export function recordingMeta(
  how: Pick<RecordingMeta, 'source' | 'commandLine' | 'target' | 'intervalMs'>,
): RecordingMeta {
  return {
    type: 'meta',
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    startedAt: Date.now(),
    loopscope: loopscopeVersion(projectRoot()),
    ...how,
    machine: {
      cores: os.availableParallelism(),
      memoryBytes: os.totalmem(),
      os: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      node: process.version,
    },
  };
}
