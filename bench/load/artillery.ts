/**
 * Artillery 2, the reference for the generator bench's WebSocket figure. It is not a devDependency:
 * it is ~460 MB (AWS, Azure and Playwright SDKs) that every `npm ci` in CI would fetch for one bench
 * line. The bench installs one pinned version on demand into bench/.tools/artillery (gitignored) and
 * runs it from there. `--ignore-scripts`: its postinstall downloads a Playwright browser, which the
 * ws engine does not use (and which this machine cannot reach).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTILLERY_VERSION = '2.0.34';
const TOOLS_DIR = fileURLToPath(new URL('../.tools/artillery', import.meta.url));
const PACKAGE_DIR = join(TOOLS_DIR, 'node_modules', 'artillery');
const BIN = join(PACKAGE_DIR, 'bin', 'run');
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const STOP_MS = 5000;
/** Enough of Artillery's output to show why it failed, and to read its error counters. */
const OUTPUT_KEEP_CHARS = 64 * 1024;

function installedVersion(): string | null {
  try {
    return (
      (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version?: string }).version ??
      null
    );
  } catch {
    return null;
  }
}

async function install(log: (line: string) => void): Promise<void> {
  log(
    `bench: installing artillery@${ARTILLERY_VERSION} into bench/.tools/artillery (once; ~460 MB, not a devDependency)`,
  );
  mkdirSync(TOOLS_DIR, { recursive: true });
  // A package.json of its own makes the cache directory the npm project, so npm can never walk up
  // to Loopscope's package.json and node_modules.
  writeFileSync(
    join(TOOLS_DIR, 'package.json'),
    JSON.stringify({ name: 'loopscope-bench-tools', private: true }, null, 2) + '\n',
  );
  const npm = spawn(
    'npm',
    [
      'install',
      ...['--prefix', TOOLS_DIR],
      ...['--no-audit', '--no-fund', '--ignore-scripts', '--no-save'],
      `artillery@${ARTILLERY_VERSION}`,
    ],
    { cwd: TOOLS_DIR, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  npm.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(0, 8000)));
  const timer = setTimeout(() => npm.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
  const [code, signal] = (await once(npm, 'exit').catch((err: unknown) => [String(err), null])) as [
    number | string | null,
    string | null,
  ];
  clearTimeout(timer);
  if (code !== 0) {
    // npm leads with the cause (code, errno, the failed request) and ends with where its log went.
    const cause = stderr
      .split('\n')
      .filter((l) => l.trim() !== '' && l.trim() !== 'npm error')
      .slice(0, 4)
      .join(' / ');
    throw new Error(`npm install exited ${signal ?? code}${cause ? `: ${cause}` : ''}`);
  }
}

let ready: Promise<string> | null = null;

/**
 * The path of Artillery's CLI script, installing the pinned version first when it is missing (once
 * per bench run; a failed install is not retried in the same run).
 */
export function ensureArtillery(log: (line: string) => void): Promise<string> {
  ready ??= (async () => {
    if (installedVersion() !== ARTILLERY_VERSION) await install(log);
    const version = installedVersion();
    if (version !== ARTILLERY_VERSION || !existsSync(BIN)) {
      throw new Error(`bench/.tools/artillery holds artillery ${version ?? 'nothing'} after the install`);
    }
    return BIN;
  })();
  return ready;
}

export interface ArtilleryWsJob {
  /** The server's base URL (http://host:port). */
  url: string;
  clients: number;
  /** Virtual users started per second (Artillery's arrivalRate). */
  rampPerS: number;
  /** Round trips each virtual user makes at most (it is stopped after the measurement anyway). */
  rounds: number;
  /**
   * Questions with their exact answers (docs/protocol.md §4): each virtual user draws one at random and
   * asks it every round, so the server's work per message has the same mix as for Loopscope's
   * clients, which draw from the same kind of pool per message.
   */
  questions: Array<{ text: string; n: string; prime: boolean }>;
}

/** A running Artillery: its process (and its worker threads) in a process group of its own. */
export interface RunningArtillery {
  readonly pid: number;
  /** Errors Artillery has printed in its periodic reports so far (`errors.*` counters, summed). */
  errors(): number;
  /** Output so far, for an error message. */
  output(): string;
  exited(): boolean;
  /** Stops the whole process group: SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/**
 * One scenario: connect to /ws/prime, then `rounds` times send the question, wait for the answer
 * (a `match` on both fields: Artillery parses and checks every reply, as Loopscope's ws-prime
 * client does) and think 1 s. The arrival phase ramps the virtual users in at `rampPerS`. An array
 * in `variables` gives each virtual user one element at random; a template that is one variable
 * alone keeps its type, so `prime` is matched as the boolean the server sends.
 */
function script(job: ArtilleryWsJob): object {
  return {
    config: {
      target: `${job.url.replace(/^http/, 'ws')}/ws/prime`,
      phases: [{ duration: Math.max(1, Math.ceil(job.clients / job.rampPerS)), arrivalCount: job.clients }],
      variables: { q: job.questions },
    },
    scenarios: [
      {
        engine: 'ws',
        flow: [
          {
            loop: [
              {
                send: {
                  payload: '{{ q.text }}',
                  match: [
                    { json: '$.n', value: '{{ q.n }}' },
                    { json: '$.prime', value: '{{ q.prime }}' },
                  ],
                },
              },
              { think: 1 },
            ],
            count: job.rounds,
          },
        ],
      },
    ],
  };
}

/** Starts `artillery run` on the job's script; it runs until its virtual users finish or stop(). */
export function startArtillery(bin: string, job: ArtilleryWsJob, hardLimitMs: number): RunningArtillery {
  const dir = mkdtempSync(join(tmpdir(), 'loopscope-artillery-'));
  const file = join(dir, 'ws-prime.yml');
  // JSON is YAML: Artillery reads it as it is.
  writeFileSync(file, JSON.stringify(script(job), null, 2));
  const child: ChildProcess = spawn(process.execPath, [bin, 'run', file], {
    cwd: dir,
    // Its own process group, so stop() reaches anything it starts.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' },
  });
  let out = '';
  let partial = '';
  let errorCount = 0;
  let summary = false;
  // Read everything it prints: a full pipe would block its console writes and stall it.
  const keep = (c: Buffer): void => {
    const text = c.toString();
    out = (out + text).slice(-OUTPUT_KEEP_CHARS);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // The periodic reports count each period's errors; the final summary repeats them all.
      if (line.startsWith('Summary report')) summary = true;
      const m = /^errors\..*: \.* *(\d+)\s*$/.exec(line);
      if (m && !summary) errorCount += Number(m[1]);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });
  const pid = child.pid!;
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const hardStop = setTimeout(() => killGroup('SIGKILL'), hardLimitMs);
  return {
    pid,
    errors: () => errorCount,
    output: () => out,
    exited: () => exited,
    async stop() {
      killGroup('SIGTERM');
      const late = setTimeout(() => killGroup('SIGKILL'), STOP_MS);
      await exit;
      clearTimeout(late);
      clearTimeout(hardStop);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
