/**
 * `loopscope report A.ndjson [B.ndjson] [-o OUT.html]` (npm run report): one recording's
 * self-contained HTML report, or two compared side by side, the first as the baseline.
 */
import { isLoopscopeError, LoopscopeError } from '../../common/errors';
import { parseFlags } from './flags';
import { readRecording, runName, writeReport } from '../report/write-report';

export const USAGE = `Usage: npm run report -- A.ndjson [B.ndjson] [-o OUT.html]

  A.ndjson            a recording (load --record, or the dashboard's Record; .ndjson.gz too):
                      one run's report
  A.ndjson B.ndjson   two recordings: a compare, B against A, on a common time axis
  -o, --out FILE      where to write the page (default: A.html, or A-vs-B.html, beside A)

The page is one self-contained file: it opens from disk with no network.`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  out: { type: 'string', short: 'o' },
} as const;

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length < 1 || positionals.length > 2)
      throw new LoopscopeError(
        'usage',
        `give one recording (a report) or two (a compare), got ${positionals.length}`,
      );
    const runs = await Promise.all(
      positionals.map(async (path) => ({ name: runName(path), recording: await readRecording(path) })),
    );
    const base = positionals[0]!.replace(/\.ndjson(\.gz)?$/, '');
    const out = values.out ?? (runs.length === 2 ? `${base}-vs-${runs[1]!.name}.html` : `${base}.html`);
    const bytes = await writeReport(runs, out);
    process.stdout.write(`report: wrote ${out} (${(bytes / 1024).toFixed(0)} KB)\n`);
    return 0;
  } catch (err) {
    if (!isLoopscopeError(err)) throw err;
    process.stderr.write(`report: ${err.message}\n\n${USAGE}\n`);
    return err.exitCode;
  }
}
