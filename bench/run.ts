/**
 * `npm run bench -- [SCENARIO ...] [--quick] [--repeat N] [--servers a,b] [--no-record]`
 *
 * Runs each scenario against Loopscope's engine (as `serve` runs it), the bare node:http + ws
 * baseline and Tornado, each a fresh child process per run, with load from separate processes.
 * Repeats every run N times (default 3), interleaving servers so drift hits all of them alike,
 * prints the medians with ratios, and appends them to bench/RESULTS.md.
 */
import { parseArgs } from 'node:util';
import { appendResults, checks, machine, RESULTS_FILE, table, type ScenarioResult } from './report';
import { block } from './scenarios/block';
import { fanout } from './scenarios/fanout';
import { generator } from './scenarios/generator';
import { hello } from './scenarios/hello';
import { hold } from './scenarios/hold';
import { overhead } from './scenarios/overhead';
import { prime } from './scenarios/prime';
import {
  DEFAULT_VARIANTS,
  median,
  type Figures,
  type Scenario,
  type ScenarioContext,
} from './scenarios/scenario';
import { ensureTornado, pythonVersion, SERVER_NAMES, startServer, type RunningServer } from './servers';

const SCENARIOS: Scenario[] = [hold, prime, fanout, hello, overhead, block, generator];

function log(line: string): void {
  console.log(line);
}

function note(errors: string[], where: string, err: unknown): void {
  const message = `${where}: ${err instanceof Error ? err.message : String(err)}`;
  log(`  error: ${message}`);
  errors.push(message.split('\n')[0] ?? message);
}

async function runScenario(
  scenario: Scenario,
  repeat: number,
  quick: boolean,
  tornado: string | null,
  servers: readonly string[],
): Promise<ScenarioResult> {
  const variants = (scenario.variants ?? DEFAULT_VARIANTS).filter(
    (v) => (v.server !== 'tornado' || tornado !== null) && servers.includes(v.server),
  );
  const samples: Record<string, Figures[]> = Object.fromEntries(variants.map((v) => [v.label, []]));
  const errors: string[] = [];
  for (let round = 1; round <= repeat; round++) {
    for (const variant of variants) {
      log(`${scenario.name} [${round}/${repeat}] ${variant.label}`);
      const started = Date.now();
      let server: RunningServer | null = null;
      try {
        server = await startServer(variant.server, variant.options);
        const ctx: ScenarioContext = {
          server,
          variant,
          quick,
          log,
          async fresh() {
            await server?.stop();
            server = null;
            server = await startServer(variant.server, variant.options);
            ctx.server = server;
            return server;
          },
        };
        samples[variant.label]!.push(await scenario.run(ctx));
      } catch (err) {
        note(errors, `${variant.label} run ${round}`, err);
      } finally {
        // A server that died during the run says so here (stop() reports an unexpected exit).
        await server?.stop().catch((err: unknown) => note(errors, `${variant.label} run ${round} stop`, err));
      }
      log(`  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  const medians: Record<string, Figures> = {};
  for (const variant of variants) {
    const runs = samples[variant.label]!;
    medians[variant.label] = Object.fromEntries(
      scenario.metrics.map((m) => [
        m.key,
        median(
          runs.map((r) => r[m.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)),
        ),
      ]),
    );
  }
  const runs = Object.fromEntries(variants.map((v) => [v.label, samples[v.label]!.length]));
  return { scenario, variants, medians, runs, errors, checks: scenario.targets?.(medians, quick) ?? [] };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '3' },
      'no-record': { type: 'boolean', default: false },
      /** Comma-separated server names to keep (default all): loopscope, baseline, tornado. */
      servers: { type: 'string' },
    },
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) {
    console.error('bench: --repeat must be an integer from 1 to 20');
    return 2;
  }
  const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    return 2;
  }
  const servers = values.servers?.split(',') ?? [...SERVER_NAMES];
  const unknownServers = servers.filter((s) => !(SERVER_NAMES as readonly string[]).includes(s));
  if (unknownServers.length > 0) {
    console.error(
      `bench: unknown server ${unknownServers.join(', ')}; choose from ${SERVER_NAMES.join(', ')}`,
    );
    return 2;
  }
  const chosen = positionals.length > 0 ? SCENARIOS.filter((s) => positionals.includes(s.name)) : SCENARIOS;
  const tornado = ensureTornado(log);
  const m = machine(pythonVersion(), tornado);
  log(
    `bench: ${m.cores} cores, Node ${m.node}, Python ${m.python}, Tornado ${m.tornado}; repeat ${repeat}${values.quick ? ', quick' : ''}`,
  );

  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    const result = await runScenario(scenario, repeat, values.quick, tornado, servers);
    results.push(result);
    log(`\n### ${scenario.title} (median of ${repeat})\n\n${table(result)}\n`);
    if (result.checks.length > 0) log(`${checks(result)}\n`);
  }
  if (!values['no-record']) {
    appendResults(results, m, { argv: process.argv.slice(2).join(' '), repeat, quick: values.quick });
    log(`bench: appended to ${RESULTS_FILE}`);
  }
  return results.some((r) => r.errors.length > 0) ? 1 : 0;
}

process.exitCode = await main();
