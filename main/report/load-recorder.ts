/**
 * `load --record FILE.ndjson`: the run as a recording (common/recording.ts). The generator's report
 * windows come from the load controller; the target's own figures (`GET /stats`, `/stalls` with
 * each stall's `/stalls/ID/profile`, `/diagnosis`) are polled from the target while the run lasts.
 * A target without those routes (a server of the user's own) simply gives none of them.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { open, unlink } from 'node:fs/promises';
import { LoopscopeError } from '../../common/errors';
import type { CpuProfile } from '../../common/cpuprofile';
import type { Diagnosis } from '../../common/diagnosis';
import type { EngineSnapshot } from '../../common/snapshot';
import type { Stall } from '../../common/stalls';
import type { LoadReport } from '../../common/load';
import {
  parseRecording,
  recordingLine,
  type Recording,
  type RecordingLine,
  type RecordingThresholds,
} from '../../common/recording';
import { recordingMeta } from './recording-meta';

/** How often the target's figures are asked for: its samples are about one a second. */
const POLL_MS = 1_000;
const ASK_TIMEOUT_MS = 3_000;

/** The route's JSON; 'absent' when the target has no such route (404); null when it failed now. */
async function ask<T>(target: string, path: string): Promise<T | 'absent' | null> {
  try {
    const res = await fetch(new URL(path, target), { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    if (!res.ok) {
      await res.body?.cancel();
      return res.status === 404 ? 'absent' : null;
    }
    return (await res.json()) as T;
  } catch {
    return null;
  }
}

/** A file that cannot be written is refused before the run, not after minutes of load. */
export async function checkWritable(path: string, flag: string): Promise<void> {
  try {
    // An existing file is left as it is until the run has something to put there (a report of a
    // run that never started would otherwise have cost the last one); a new one is not left behind.
    const file = await open(path, 'a');
    const stat = await file.stat();
    await file.close();
    if (stat.isFile() && stat.size === 0) await unlink(path);
  } catch (err) {
    throw new LoopscopeError('usage', `${flag} ${path}: cannot write there (${(err as Error).message})`);
  }
}

interface RecordingFile {
  stream: Writable;
  closed: Promise<unknown>;
  /** The first error writing it (a full disk, a removed directory): the run goes on, the file stops. */
  failed: Error | null;
}

/** The file, through gzip when its name ends in .gz (an hour of windows then takes a few MB). */
function fileStream(path: string): RecordingFile {
  const file = createWriteStream(path);
  const out: RecordingFile = { stream: file, closed: Promise.resolve(), failed: null };
  // Settles on close or on error: a stream that failed may never emit 'close' to a waiter.
  out.closed = new Promise((resolve) => {
    file.once('close', () => resolve(undefined));
    file.once('error', () => resolve(undefined));
  });
  const fail = (err: Error): void => {
    out.failed ??= err;
  };
  file.on('error', fail);
  if (!path.endsWith('.gz')) return out;
  const gzip = createGzip();
  gzip.on('error', fail);
  gzip.pipe(file);
  out.stream = gzip;
  return out;
}

export class LoadRecorder {
  /** Every line written, kept only for `--report` at the end (a run's recording is a few MB an hour). */
  private readonly lines: RecordingLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private lastSampleTime = 0;
  private stallSince = 0;
  private diagnosisSince = 0;
  /** Whether the target has the route: asked until it answers 404. */
  private samples = true;
  private stalls = true;
  private diagnoses = true;
  /** Each episode as last written, so one listed again unchanged is not written twice. */
  private readonly episodeSeen = new Map<number, string>();
  /** When the recording began (its meta line's time): the target's stalls and episodes from before it are not the run's. */
  private readonly runStartedAt = Date.now();

  private constructor(
    /** null: kept in memory only, for `--report` without `--record`. */
    private readonly out: RecordingFile | null,
    private readonly path: string | null,
    private readonly target: string,
    private readonly keep: boolean,
  ) {}

  /**
   * Opens FILE for writing before the run starts, so a path that cannot be written is refused up
   * front rather than after minutes of load.
   */
  static async open(
    path: string | null,
    target: string,
    commandLine: string[],
    intervalMs: number,
    /** Keep the lines for a report at the end. */
    keep: boolean,
  ): Promise<LoadRecorder> {
    if (path !== null) await checkWritable(path, '--record');
    const recorder = new LoadRecorder(
      path === null ? null : fileStream(path),
      path,
      target,
      keep || path === null,
    );
    recorder.write(recordingMeta({ source: 'load', commandLine, target, intervalMs }));
    return recorder;
  }

  /** Why the file could not be written to the end, if it could not (the run itself went on). */
  writeError(): LoopscopeError | null {
    const failed = this.out?.failed;
    if (!failed) return null;
    return new LoopscopeError(
      'record_failed',
      `--record ${this.path}: writing the recording failed (${failed.message}); the file is incomplete`,
    );
  }

  write(line: RecordingLine): void {
    if (this.keep) this.lines.push(line);
    if (this.out && !this.out.failed) this.out.stream.write(recordingLine(line));
  }

  /** Asks the target for its figures every second until `stop`. */
  start(): void {
    const tick = (): void => {
      this.polling = this.poll().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(tick, POLL_MS);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** One last poll, so the stalls and episodes of the run's end are in. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    await this.poll();
  }

  /** The run is over: the target's last figures, the thresholds and the summary, and the file closed. */
  async finish(end: {
    report: LoadReport | null;
    ok: boolean;
    note: string | null;
    thresholds: RecordingThresholds['results'];
  }): Promise<Recording | null> {
    await this.stop();
    const time = Date.now();
    if (end.thresholds.length > 0) this.write({ type: 'thresholds', time, results: end.thresholds });
    this.write({ type: 'summary', time, report: end.report, ok: end.ok, note: end.note });
    if (this.out) {
      if (!this.out.failed) this.out.stream.end();
      // The file's own close: with gzip in front, only then have its last bytes landed.
      await this.out.closed;
    }
    return this.keep ? parseRecording(this.lines.map(recordingLine).join('')) : null;
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    const snapshot = this.samples ? await ask<EngineSnapshot>(this.target, '/stats') : null;
    if (snapshot === 'absent') this.samples = false;
    if (
      snapshot &&
      snapshot !== 'absent' &&
      typeof snapshot.time === 'number' &&
      snapshot.time > this.lastSampleTime
    ) {
      this.lastSampleTime = snapshot.time;
      this.write({ type: 'sample', time: snapshot.time, snapshot });
    }
    if (this.stalls) await this.pollStalls(now);
    if (this.diagnoses) await this.pollDiagnoses(now);
  }

  private async pollStalls(now: number): Promise<void> {
    const body = await ask<{ stalls?: Stall[] }>(this.target, `/stalls?since=${this.stallSince}`);
    // No §9 here: stop asking rather than knock every second.
    if (body === 'absent') this.stalls = false;
    if (!body || body === 'absent' || !Array.isArray(body.stalls)) return;
    for (const stall of body.stalls) {
      this.stallSince = Math.max(this.stallSince, stall.id);
      if (stall.startedAt + stall.durationMs < this.runStartedAt) continue;
      const profile = await ask<CpuProfile>(this.target, `/stalls/${stall.id}/profile`);
      this.write({
        type: 'stall',
        time: stall.startedAt || now,
        stall,
        profile: profile === 'absent' ? null : profile,
      });
    }
  }

  private async pollDiagnoses(now: number): Promise<void> {
    const body = await ask<{ diagnoses?: Diagnosis[] }>(
      this.target,
      `/diagnosis?since=${this.diagnosisSince}`,
    );
    if (body === 'absent') this.diagnoses = false;
    if (!body || body === 'absent' || !Array.isArray(body.diagnoses)) return;
    // Open episodes are listed again until they close: the cursor stays below the oldest open one.
    const open = body.diagnoses.filter((d) => d.endedAt === null).map((d) => d.id);
    const newest = Math.max(this.diagnosisSince, ...body.diagnoses.map((d) => d.id));
    this.diagnosisSince = open.length > 0 ? Math.min(...open) - 1 : newest;
    for (const diagnosis of body.diagnoses) {
      if (diagnosis.endedAt !== null && diagnosis.endedAt < this.runStartedAt) continue;
      const text = JSON.stringify(diagnosis);
      if (this.episodeSeen.get(diagnosis.id) === text) continue;
      this.episodeSeen.set(diagnosis.id, text);
      this.write({ type: 'diagnosis', time: now, diagnosis });
    }
  }
}
