/**
 * One attach per watched process, and a record of who opened its inspector, kept on disk so it
 * outlives an attach that was killed (issue 24 B and D).
 *
 * The lock is a file per target in a directory only this user can read
 * (`$TMPDIR/loopscope-UID/watch-PID-START.json`; START is the target's start time, so a reused pid
 * is another target). It is created exclusively before anything else is done to the target; it
 * says which attach holds it and whether that attach signalled the target to open its inspector
 * (written before the signal, so a kill right after it still leaves the record).
 *
 * - A second attach finds the lock held by a live attach: refused, naming it (`target_watched`).
 * - It finds a lock whose attach is gone (SIGKILL): it takes the lock over, and with it the duty
 *   to close an inspector that attach opened — a later attach closes what an earlier one left.
 * - Detach removes the lock, unless the inspector it opened could not be closed: then the record
 *   stays for the next attach to act on.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoopscopeError } from '../../common/errors';
import { readText } from './processes';

interface LockRecord {
  /** The attach process holding the lock. */
  attach: number;
  /** When it took the lock (epoch ms). */
  since: number;
  /** It sent SIGUSR1: the inspector, if open, is Loopscope's to close. */
  signalled: boolean;
}

/** The process's start time in clock ticks since boot (/proc/P/stat field 22), or null. */
function startTimeOf(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/** Whether `pid` is a live attach: the app's attach child or the attach CLI. */
export function isLiveAttach(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmd = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
  return /\battach\b/.test(cmd);
}

/** This user's private directory for locks, or null when it cannot be trusted. */
function lockDir(): string | null {
  const dir = join(tmpdir(), `loopscope-${process.getuid!()}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return null;
  }
  const st = lstatSync(dir);
  // Another user could have made it first: then it is not ours, and nothing in it is trusted.
  if (!st.isDirectory() || st.uid !== process.getuid!() || (st.mode & 0o077) !== 0) return null;
  forgetExited(dir);
  return dir;
}

/** Records of processes that have exited (or whose pid is another process now) mean nothing. */
function forgetExited(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^watch-(\d+)-(\d+)\.json$/.exec(name);
    if (!m || startTimeOf(Number(m[1])) === m[2]) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Another attach removed it first.
    }
  }
}

export class WatchLock {
  private released = false;

  private constructor(
    private readonly path: string | null,
    private record: LockRecord,
    /** The previous holder was gone and had signalled: what it opened is this lock's to close. */
    readonly inheritedSignal: boolean,
  ) {}

  /**
   * Takes the lock for `pid`, or refuses with `target_watched` naming the attach that holds it.
   * Without a trustworthy directory the lock is in memory only (nothing survives a kill).
   */
  static acquire(pid: number): WatchLock {
    const start = startTimeOf(pid);
    const dir = start === null ? null : lockDir();
    const record: LockRecord = { attach: process.pid, since: Date.now(), signalled: false };
    if (dir === null) return new WatchLock(null, record, false);
    const path = join(dir, `watch-${pid}-${start}.json`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
        return new WatchLock(path, record, false);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return new WatchLock(null, record, false);
      }
      const held = parseRecord(readText(path));
      if (held && isLiveAttach(held.attach))
        throw new LoopscopeError(
          'target_watched',
          `pid ${pid} is already watched by attach pid ${held.attach} (since ${new Date(held.since).toISOString()}): ` +
            'one attach per process; detach that one first',
        );
      // Its holder is gone. Take it over atomically (rename replaces), then check it is ours: two
      // attaches taking over at once both rename, and only the last one's record stays.
      const mine = { ...record, signalled: held?.signalled ?? false };
      const temp = `${path}.${process.pid}`;
      writeFileSync(temp, JSON.stringify(mine), { mode: 0o600 });
      renameSync(temp, path);
      const now = parseRecord(readText(path));
      if (now?.attach === process.pid) return new WatchLock(path, mine, held?.signalled ?? false);
    }
    throw new LoopscopeError('target_watched', `pid ${pid} is being attached to by another attach`);
  }

  /** This attach sent SIGUSR1, or took the lock over from one that did. */
  get signalled(): boolean {
    return this.record.signalled;
  }

  /** Recorded before SIGUSR1 is sent: from then on, an open inspector is Loopscope's to close. */
  markSignalled(): void {
    this.record = { ...this.record, signalled: true };
    this.write();
  }

  /** Done with the target: nothing of ours is left open in it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.path === null) return;
    const held = parseRecord(readText(this.path));
    if (held?.attach !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  /** Leaves the record for the next attach: an inspector we opened may still be open. */
  leave(): void {
    this.released = true;
  }

  private write(): void {
    if (this.path === null || this.released) return;
    const temp = `${this.path}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(this.record), { mode: 0o600 });
    renameSync(temp, this.path);
  }
}

function parseRecord(text: string | null): LockRecord | null {
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (!Number.isInteger(r.attach) || typeof r.since !== 'number') return null;
    return { attach: r.attach!, since: r.since, signalled: r.signalled === true };
  } catch {
    return null;
  }
}
