/**
 * From recordings to the report file: read and check each recording, build the page, write it.
 * Shared by `npm run report` and `load --report`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { LoopscopeError } from '../../common/errors';
import { isGzip, parseRecording, RecordingError, type Recording } from '../../common/recording';
import { constants, gunzipSync } from 'node:zlib';
import { reportModel } from '../../common/report/report-model';
import { reportHtml } from './report-html';

/** A recording file read back; a bad one refused with its name and line. */
export async function readRecording(path: string): Promise<Recording> {
  let text: string;
  try {
    const bytes = await readFile(path);
    // A run killed mid-write leaves the gzip stream unfinished: what was flushed still reads.
    text = (isGzip(bytes) ? gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }) : bytes).toString(
      'utf8',
    );
  } catch (err) {
    throw new LoopscopeError('usage', `${path}: cannot read it (${(err as Error).message})`);
  }
  try {
    return parseRecording(text);
  } catch (err) {
    if (err instanceof RecordingError) throw new LoopscopeError('usage', `${path}: ${err.message}`);
    throw err;
  }
}

/** Each run is named by its file name, as the compare's columns and legends show it. */
export function runName(path: string): string {
  return basename(path).replace(/\.ndjson(\.gz)?$/, '');
}

export async function writeReport(
  runs: { name: string; recording: Recording }[],
  out: string,
): Promise<number> {
  const html = reportHtml(runs.map((r) => reportModel(r.name, r.recording)));
  try {
    await writeFile(out, html);
  } catch (err) {
    throw new LoopscopeError('usage', `${out}: cannot write the report there (${(err as Error).message})`);
  }
  return Buffer.byteLength(html);
}
