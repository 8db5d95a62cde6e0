/**
 * Loopscope's engine with its sampler switched on or off, for the overhead scenario only: `serve`
 * has no flag for it (yet), and both sides of the comparison start through this same file so the
 * only difference is the sampler. Every other scenario runs the real `serve` command.
 *
 * Run: `node --import tsx bench/loopscope-server.ts --sampler on|off`; prints the URL like `serve`.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../main/engine/engine';

const { values } = parseArgs({ options: { sampler: { type: 'string', default: 'on' } } });
if (values.sampler !== 'on' && values.sampler !== 'off') throw new Error('--sampler must be on or off');
const engine = await createEngine({ port: 0, sampler: values.sampler === 'on' });
console.log(`engine listening on ${engine.url} (sampler ${values.sampler})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void engine.close().then(() => process.exit(0));
  });
}
