/**
 * The dashboard's Record: what the page receives, as a recording (common/recording.ts), the same
 * format `load --record` writes. Bounded: it says when it is full, and the caller stops.
 */
import { recordingLine, type RecordingLine, type RecordingMeta } from '../../common/recording';

/** A recording stops by itself at either bound (a day-long tab must not eat the machine's memory). */
export const RECORD_MAX_BYTES = 50 * 1024 * 1024;
export const RECORD_MAX_MS = 2 * 60 * 60 * 1000;

export class SessionRecorder {
  private readonly parts: string[] = [];
  private size = 0;
  readonly startedAt: number;

  constructor(meta: RecordingMeta) {
    this.startedAt = meta.startedAt;
    this.add(meta);
  }

  /** false once a bound is reached: the line is not kept, and the recording should stop. */
  add(line: RecordingLine): boolean {
    if (this.full()) return false;
    const text = recordingLine(line);
    this.parts.push(text);
    // UTF-16 length is close enough to the bytes for a bound (the lines are mostly ASCII).
    this.size += text.length;
    return true;
  }

  full(now = Date.now()): boolean {
    return this.size >= RECORD_MAX_BYTES || now - this.startedAt >= RECORD_MAX_MS;
  }

  get bytes(): number {
    return this.size;
  }

  text(): string {
    return this.parts.join('');
  }
}
