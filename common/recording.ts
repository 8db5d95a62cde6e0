/**
 * A recording (issue 20): one run, kept as NDJSON, one JSON object per line, each with a `type`.
 * `load --record` writes it, the dashboard's Record writes the same, and the report, compare and
 * the dashboard's Open recording read it. `meta` comes first and `summary` (when the run ended
 * cleanly) last; the lines between are in the order they were seen, each with its own time.
 *
 * Zod-free, so the renderer can import it: `parseRecording` checks each line by hand and names the
 * line it refuses.
 */
import type { Diagnosis } from './diagnosis';
import type { LoadReport } from './load';
import type { EngineSnapshot } from './snapshot';
import type { CpuProfile } from './cpuprofile';
import type { Stall } from './stalls';

export const RECORDING_FORMAT = 'loopscope-recording';
export const RECORDING_VERSION = 1;

export interface RecordingMeta {
  type: 'meta';
  format: typeof RECORDING_FORMAT;
  version: number;
  /** Who wrote it: the `load` CLI or the dashboard's Record. */
  source: 'load' | 'dashboard';
  /** Epoch ms when the recording began. */
  startedAt: number;
  /** Loopscope's package version, and its git commit where known. */
  loopscope: { version: string; commit: string | null };
  /** The command line that made it (`load` only; null from the dashboard). */
  commandLine: string[] | null;
  /** The server loaded or watched, as a URL; null when none. */
  target: string | null;
  /** The machine the recording was made on. */
  machine: { cores: number; memoryBytes: number; os: string; arch: string; node: string };
  /** The report interval of the load generator and the server's sample interval, ms. */
  intervalMs: number;
}

/** One load-generator report window, as the generator sent it (every window, not only the latest). */
export interface RecordingWindow {
  type: 'window';
  time: number;
  report: LoadReport;
}

/** One server sample (`GET /stats`, or the snapshot the dashboard got). */
export interface RecordingSample {
  type: 'sample';
  time: number;
  snapshot: EngineSnapshot;
}

/** One stall the server listed (§9), with its CPU samples as a .cpuprofile where it served them. */
export interface RecordingStall {
  type: 'stall';
  time: number;
  stall: Stall;
  profile: CpuProfile | null;
}

/** One §12 episode as listed (an episode listed open, then closed, appears twice: the last wins). */
export interface RecordingDiagnosis {
  type: 'diagnosis';
  time: number;
  diagnosis: Diagnosis;
}

/** Something the user did, drawn as a marker on the charts (a bcrypt run, clients spawned, ...). */
export interface RecordingMarker {
  type: 'marker';
  time: number;
  /** Where it ends, for a marker with a length (a bcrypt run); null for a moment. */
  endTime: number | null;
  label: string;
}

export interface RecordingThresholds {
  type: 'thresholds';
  time: number;
  results: { name: string; limit: number; value: number; ok: boolean }[];
}

/** The run's final report, the one `load` summarises, and its verdict. */
export interface RecordingSummary {
  type: 'summary';
  time: number;
  report: LoadReport | null;
  ok: boolean;
  /** Why the run ended, in words, when it did not end by itself ("cut short: ..."); null otherwise. */
  note: string | null;
}

export type RecordingLine =
  | RecordingMeta
  | RecordingWindow
  | RecordingSample
  | RecordingStall
  | RecordingDiagnosis
  | RecordingMarker
  | RecordingThresholds
  | RecordingSummary;

/** A recording read back: its lines sorted by kind, in file order. */
export interface Recording {
  meta: RecordingMeta;
  windows: RecordingWindow[];
  samples: RecordingSample[];
  stalls: RecordingStall[];
  /** Each episode once, as last listed. */
  diagnoses: RecordingDiagnosis[];
  markers: RecordingMarker[];
  thresholds: RecordingThresholds | null;
  summary: RecordingSummary | null;
}

export class RecordingError extends Error {
  constructor(
    message: string,
    /** 1-based line of the file the error is about; 0 for the file as a whole. */
    readonly line: number,
  ) {
    super(line > 0 ? `line ${line}: ${message}` : message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The fields each line type must have, and a check of each (deeper shapes are the writer's). */
const CHECKS: Record<RecordingLine['type'], Record<string, (v: unknown) => boolean>> = {
  meta: {
    format: (v) => v === RECORDING_FORMAT,
    version: (v) => v === RECORDING_VERSION,
    source: (v) => v === 'load' || v === 'dashboard',
    startedAt: isTime,
    loopscope: isObject,
    machine: isObject,
    intervalMs: isTime,
  },
  window: { time: isTime, report: (v) => isObject(v) && isObject(v.kinds) },
  sample: { time: isTime, snapshot: (v) => isObject(v) && isTime(v.time) && isObject(v.eventLoop) },
  stall: {
    time: isTime,
    stall: (v) => isObject(v) && Array.isArray(v.frames),
    profile: (v) => v === null || isObject(v),
  },
  diagnosis: { time: isTime, diagnosis: (v) => isObject(v) && typeof v.cause === 'string' },
  marker: { time: isTime, endTime: (v) => v === null || isTime(v), label: (v) => typeof v === 'string' },
  thresholds: { time: isTime, results: Array.isArray },
  summary: { time: isTime, report: (v) => v === null || isObject(v), ok: (v) => typeof v === 'boolean' },
};

/** One line checked: its type known and the fields that type needs present and of the right kind. */
export function parseRecordingLine(text: string, line: number): RecordingLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordingError('not JSON', line);
  }
  if (!isObject(value) || typeof value.type !== 'string' || !(value.type in CHECKS))
    throw new RecordingError(`no known "type" (one of ${Object.keys(CHECKS).join(', ')})`, line);
  for (const [field, ok] of Object.entries(CHECKS[value.type as RecordingLine['type']])) {
    if (!ok(value[field])) throw new RecordingError(`"${value.type}" has a missing or bad "${field}"`, line);
  }
  return value as unknown as RecordingLine;
}

/**
 * A whole file read back. Blank lines are skipped; a last line cut off mid-write (a run killed while
 * recording) is dropped rather than refusing the rest; anything else wrong is refused by line.
 */
export function parseRecording(text: string): Recording {
  const rows = text.split('\n');
  const lines: RecordingLine[] = [];
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    try {
      lines.push(parseRecordingLine(row, i + 1));
    } catch (err) {
      const isLast = rows.slice(i + 1).every((r) => r.trim() === '');
      if (!(isLast && err instanceof RecordingError && err.message.endsWith('not JSON'))) throw err;
    }
  });
  const first = lines[0];
  if (first?.type !== 'meta')
    throw new RecordingError('not a Loopscope recording: it must start with a "meta" line', 1);
  const diagnoses = new Map<number, RecordingDiagnosis>();
  const out: Recording = {
    meta: first,
    windows: [],
    samples: [],
    stalls: [],
    diagnoses: [],
    markers: [],
    thresholds: null,
    summary: null,
  };
  for (const l of lines.slice(1)) {
    if (l.type === 'window') out.windows.push(l);
    else if (l.type === 'sample') out.samples.push(l);
    else if (l.type === 'stall') out.stalls.push(l);
    else if (l.type === 'diagnosis') diagnoses.set(l.diagnosis.id, l);
    else if (l.type === 'marker') out.markers.push(l);
    else if (l.type === 'thresholds') out.thresholds = l;
    else if (l.type === 'summary') out.summary = l;
  }
  out.diagnoses = [...diagnoses.values()];
  return out;
}

/**
 * Decimals kept: µs for ms figures; more is noise from float sums, and a third of the file. A
 * figure below 1 (a share such as utilization, drawn ×100) keeps 6 significant digits instead, so
 * a replay draws what the live page drew.
 */
const roundNumbers = (_key: string, v: unknown): unknown => {
  if (typeof v !== 'number' || Number.isInteger(v) || !Number.isFinite(v)) return v;
  return Math.abs(v) < 1 ? Number(v.toPrecision(6)) : Math.round(v * 1000) / 1000;
};

/** One line as written: JSON and a newline. */
export function recordingLine(line: RecordingLine): string {
  return `${JSON.stringify(line, roundNumbers)}\n`;
}

/**
 * A report window as recorded: without the run-so-far `cumulative` figures each kind carries,
 * which only the run's last report needs (the summary keeps them).
 */
export function windowLine(report: LoadReport): RecordingWindow {
  const kinds = Object.fromEntries(
    Object.entries(report.kinds).map(([kind, k]) => {
      const { cumulative: _cumulative, ...rest } = k;
      return [kind, rest];
    }),
  ) as LoadReport['kinds'];
  return { type: 'window', time: report.time, report: { ...report, kinds } };
}

/** Whether a file's first bytes are gzip's (a recording may be written as FILE.ndjson.gz). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}
