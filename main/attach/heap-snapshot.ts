/**
 * A watched process's heap snapshot over its inspector: HeapProfiler.takeHeapSnapshot, whose
 * `addHeapSnapshotChunk` events carry the file's text in pieces before the command answers. They
 * go straight to the file, so a large heap is never held whole in this process.
 */
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { HeapProfiler } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { CdpClient } from './cdp';

/** A heap of a few GB takes minutes; past this the connection is taken to be stuck (ms). */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

/** Writes the target's heap to `file` (which must not exist yet); its size and how long it took. */
export async function takeHeapSnapshot(cdp: CdpClient, file: string): Promise<{ bytes: number; ms: number }> {
  const out = createWriteStream(file, { flags: 'wx' });
  let failed: Error | null = null;
  out.on('error', (err) => (failed ??= err));
  const onChunk = (p: HeapProfiler.AddHeapSnapshotChunkEventDataType): void => {
    if (!failed) out.write(p.chunk);
  };
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const started = performance.now();
  try {
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false }, SNAPSHOT_TIMEOUT_MS);
    const ms = performance.now() - started;
    await new Promise<void>((resolve) => out.end(resolve));
    if (failed) throw failed;
    return { bytes: (await stat(file)).size, ms: Math.round(ms) };
  } catch (err) {
    // Half a snapshot opens in nothing: no file rather than a broken one.
    out.destroy();
    await rm(file, { force: true });
    throw err;
  } finally {
    cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
}
