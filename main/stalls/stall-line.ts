/** One stall as a terminal line (`serve --log-stalls`), with the file relative to where serve runs. */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { culpritFrame, type Stall } from '../../common/stalls';

/** `function file:line` with the file relative to where serve runs, for a terminal. */
export function stallLine(stall: Stall): string {
  const frame = culpritFrame(stall);
  let where = '(no frame)';
  if (frame) {
    const file = frame.url.startsWith('file:')
      ? relative(process.cwd(), fileURLToPath(frame.url))
      : frame.url;
    where = file ? `${frame.functionName} ${file}:${frame.lineNumber}` : frame.functionName;
  }
  return `stall ${stall.durationMs.toFixed(1)} ms: ${where} (stack from ${stall.stackFrom})`;
}
