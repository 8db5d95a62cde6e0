/**
 * `npx tsx bench/soak-report.ts FILE.json [--warmup-min N]`: the memory verdict of a soak saved
 * with `bench/soak.ts --out FILE.json`, again (another warm-up, or a run cut short).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { rssByRole, type RssSeries } from './soak-rss';

const { values, positionals } = parseArgs({
  options: { 'warmup-min': { type: 'string' } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) throw new Error('usage: npx tsx bench/soak-report.ts FILE.json [--warmup-min N]');
const saved = JSON.parse(readFileSync(file, 'utf8')) as {
  result: { minutes: number; warmupMinutes: number };
  series: RssSeries[];
};
const warmupMs = Number(values['warmup-min'] ?? saved.result.warmupMinutes) * 60_000;
console.log(JSON.stringify(rssByRole(saved.series, warmupMs, saved.result.minutes * 60_000), null, 2));
