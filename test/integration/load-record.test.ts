/**
 * `load --record` / `--report` and `npm run report` (issue 20), as a person runs them: a real
 * `serve`, the real `load` CLI, files on disk. The recording must hold every report window of the
 * run (counted against its length), the stalls the server listed with their profiles, the
 * server's samples, a `meta` line first and the summary last; a bad recording is refused by line.
 */
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecording, type Recording } from '../../common/recording';
import type { Stall } from '../../common/stalls';
import { recordRun, type RecordedRun } from '../fixtures/recorded-run';
import { REPO_ROOT, runLoadCli } from '../fixtures/load-wait';
import { post, request } from './engine-client';
import { baseUrl, serve, type Child } from './serve-child';

const SECONDS = 6;
const INTERVAL_MS = 250;
let child: Child;
let base = '';
let dir = '';
let run: RecordedRun;
let recording: Recording;

function report(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'report', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loopscope-record-'));
  child = serve(['--port', '0']);
  base = await baseUrl(child);
  // A stall before the run: the server still lists it, the recording must not.
  await post(`${base}/bcrypt?cost=12&mode=loop`, 'hunter2');
  run = await recordRun(base, dir, 'run-a', { seconds: SECONDS, hashCost: 12 });
  recording = parseRecording(readFileSync(run.recording, 'utf8'));
}, 90_000);

afterAll(() => {
  child?.proc.kill('SIGKILL');
});

describe('load --record', () => {
  it('ends as usual and says where the recording and the report went', () => {
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.result.stderr).toContain(`recorded the run in ${run.recording}`);
    expect(run.result.stderr).toMatch(/wrote the report .*run-a\.html \(\d+ KB\)/);
  });

  it('starts with meta, ends with the summary, and holds every report window of the run', () => {
    const lines = readFileSync(run.recording, 'utf8').trim().split('\n');
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types[0]).toBe('meta');
    expect(types.at(-1)).toBe('summary');
    expect(recording.meta).toMatchObject({ source: 'load', target: base, intervalMs: INTERVAL_MS });
    expect(recording.meta.commandLine).toContain('--record');
    expect(recording.meta.machine.cores).toBeGreaterThan(0);
    expect(recording.meta.loopscope.version).toMatch(/^\d+\.\d+\.\d+/);
    // One window per interval from the generator's start to the final report: at least the
    // measured run's, and not many more (connecting and the final report add a few).
    const expected = (SECONDS * 1000) / INTERVAL_MS;
    expect(recording.windows.length).toBeGreaterThanOrEqual(expected * 0.9);
    expect(recording.windows.length).toBeLessThanOrEqual(expected + 20);
    // Each window is a new one: times strictly increase, about an interval apart.
    const times = recording.windows.map((w) => w.time);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(recording.summary).toMatchObject({ ok: true, note: null });
    expect(recording.summary!.report!.kinds.http.received).toBeGreaterThan(0);
  });

  it("holds the server's samples, and the stall it listed with its CPU profile", async () => {
    expect(recording.samples.length).toBeGreaterThanOrEqual(SECONDS - 2);
    const listed = (await request(`${base}/stalls?since=0`)).json<{ stalls: Stall[] }>();
    const during = listed.stalls.filter(
      (s) => s.startedAt >= recording.meta.startedAt && s.startedAt <= recording.summary!.time,
    );
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(listed.stalls.length).toBeGreaterThan(during.length);
    expect(recording.stalls.map((s) => s.stall.id).sort()).toEqual(during.map((s) => s.id).sort());
    // The hash's stall is the longest since it ran: a busy machine may stall the server briefly
    // before it too, in a moment that gave the profiler's thread no CPU and so no sample.
    const hash = recording.stalls
      .filter((s) => s.stall.startedAt >= run.hashedAt - 1000)
      .sort((a, b) => b.stall.durationMs - a.stall.durationMs)[0]!;
    expect(hash.stall.durationMs).toBeGreaterThanOrEqual(100);
    expect(hash.profile?.nodes.length).toBeGreaterThan(1);
  });

  it('writes a report that carries the stall and the charts', () => {
    const html = readFileSync(run.report, 'utf8');
    expect(html).toContain('<canvas id="chart-rtt"');
    expect(html).toContain('<canvas id="chart-loop"');
    expect(html).toMatch(/service\.ts:\d+/);
    // Self-contained: no script or style is fetched.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('writes FILE.ndjson.gz through gzip, which the report reads as it is', async () => {
    const gz = join(dir, 'short.ndjson.gz');
    const res = await runLoadCli(['--target', base, '--http', '2', '--duration', '2', '--record', gz]);
    expect(res.code, res.stderr).toBe(0);
    const bytes = readFileSync(gz);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const back = parseRecording(gunzipSync(bytes).toString('utf8'));
    expect(back.windows.length).toBeGreaterThanOrEqual(4);
    expect(back.summary?.ok).toBe(true);
    // Windows carry no run-so-far figures (the summary does), and no float noise.
    expect(back.windows[1]!.report.kinds.http.cumulative).toBeUndefined();
    expect(back.summary!.report!.kinds.http.cumulative).toBeDefined();
    const out = report(gz, '-o', join(dir, 'short.html'));
    expect(out.status, out.stderr).toBe(0);
    expect(readFileSync(join(dir, 'short.html'), 'utf8')).toContain('Loopscope report: short');
  });

  it('a recording that cannot be written to the end (a full disk) fails the run, which still ends with its summary', async () => {
    const res = await runLoadCli([
      '--target',
      base,
      '--http',
      '2',
      '--duration',
      '2',
      '--record',
      '/dev/full',
    ]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /--record \/dev\/full: writing the recording failed \(.*ENOSPC.*\); the file is incomplete \[record_failed\]/,
    );
    expect(res.stderr).not.toContain('recorded the run in');
    expect(res.stdout).toMatch(/http/);
  });

  it('refuses a recording it cannot write before the run, and starts no clients', async () => {
    const started = Date.now();
    const res = await runLoadCli([
      '--target',
      base,
      '--http',
      '2',
      '--duration',
      '30',
      '--record',
      '/no/such/dir/x.ndjson',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--record /no/such/dir/x.ndjson: cannot write there');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('npm run report', () => {
  it('a report from a recording, and a compare of two, each named by its file', () => {
    const one = report(run.recording, '-o', join(dir, 'one.html'));
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/wrote .*one\.html/);
    const copy = join(dir, 'run-b.ndjson');
    writeFileSync(copy, readFileSync(run.recording));
    const both = report(run.recording, copy);
    expect(both.status, both.stderr).toBe(0);
    const out = join(dir, 'run-a-vs-run-b.html');
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Loopscope compare: run-a vs run-b');
  });

  it('reads a recording whose last line was cut off mid-write', () => {
    const text = readFileSync(run.recording, 'utf8');
    const cut = join(dir, 'cut.ndjson');
    // The summary line half written, as when the run was killed while recording.
    writeFileSync(cut, text.slice(0, text.trimEnd().lastIndexOf('\n') + 40));
    const res = report(cut, '-o', join(dir, 'cut.html'));
    expect(res.status, res.stderr).toBe(0);
    expect(readFileSync(join(dir, 'cut.html'), 'utf8')).toContain('incomplete');
  });

  it('refuses a bad line by its number, and writes nothing', () => {
    const lines = readFileSync(run.recording, 'utf8').split('\n');
    lines[2] = '{"type": "window", "time": ';
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, lines.join('\n'));
    const res = report(bad, '-o', join(dir, 'bad.html'));
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(`${bad}: line 3: not JSON`);
    expect(existsSync(join(dir, 'bad.html'))).toBe(false);
    const notOurs = join(dir, 'other.ndjson');
    writeFileSync(notOurs, '{"type":"window","time":1,"report":{"kinds":{}}}\n');
    expect(report(notOurs).stderr).toContain('line 1: not a Loopscope recording');
  });
});
