/**
 * "Take heap snapshot" through the app host's typed API (the heapSnapshot command): of the demo
 * server (the app's own process) and of a watched process (test/fixtures/attach-target, over its
 * inspector through the attach process). Each file lands in the directory asked for, under the
 * app's own name, and is what DevTools' Memory panel loads: JSON with `snapshot.meta` and
 * `nodes`. A directory that is not absolute, missing or a file is refused with bad_directory, and
 * nothing is written.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult, HeapSnapshotWritten } from '../../common/api';
import { createAppHost, type AppHost } from '../../main/control/app-host';
import { request } from './engine-client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(root, 'test/fixtures/attach-target/launch-orphan.mjs');

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loopscope-heap-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function host(): Promise<AppHost> {
  const h = await createAppHost({ shell: 'browser', engineOptions: { port: 0, stalls: false } });
  cleanup.push(() => h.close());
  return h;
}

/** The fixture server, not a descendant of this process (the host never offers those). */
function startOrphanTarget(): { pid: number; base: string } {
  const out = execFileSync(process.execPath, [LAUNCHER], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, INSPECTOR_PORT: '0' },
  });
  const m = /pid (\d+) port (\d+)/.exec(out);
  if (!m) throw new Error(`launcher said: ${out}`);
  const pid = Number(m[1]);
  cleanup.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  return { pid, base: `http://127.0.0.1:${m[2]}` };
}

function value<T>(r: CommandResult): T {
  if (!r.ok) throw new Error(`command failed: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

const error = (r: CommandResult): { code: string; message: string } | null => (r.ok ? null : r.error);

/** What DevTools' Memory panel needs of the file: its meta and its node table. */
function expectDevToolsSnapshot(written: HeapSnapshotWritten, dir: string, pid: number): void {
  expect(written.pid).toBe(pid);
  expect(written.path.startsWith(`${dir}/`)).toBe(true);
  expect(basename(written.path)).toMatch(
    new RegExp(`^heap-${pid}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.heapsnapshot$`),
  );
  expect(statSync(written.path).size).toBe(written.bytes);
  expect(written.ms).toBeGreaterThanOrEqual(0);
  const parsed = JSON.parse(readFileSync(written.path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[] }; node_count: number };
    nodes: number[];
    strings: string[];
  };
  expect(parsed.snapshot.meta.node_fields).toContain('name');
  expect(parsed.nodes.length).toBe(parsed.snapshot.node_count * parsed.snapshot.meta.node_fields.length);
  expect(parsed.nodes.length).toBeGreaterThan(0);
}

/** Every way a directory is refused, each with bad_directory, and nothing written anywhere. */
async function expectRefused(h: AppHost, payload: (dir: string) => object): Promise<void> {
  const dir = tempDir();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const readOnly = join(dir, 'read-only');
  execFileSync('mkdir', [readOnly]);
  chmodSync(readOnly, 0o500);
  cleanup.push(() => chmodSync(readOnly, 0o700));
  const refusals: [string, RegExp][] = [
    ['relative/dir', /must be an absolute path/],
    [join(dir, 'missing'), /does not exist/],
    [file, /is not a directory/],
  ];
  // root writes anywhere: the mode says nothing then.
  if (process.getuid?.() !== 0) refusals.push([readOnly, /is not writable/]);
  for (const [bad, says] of refusals) {
    const e = error(await h.handle('heapSnapshot', payload(bad)));
    expect(e?.code, bad).toBe('bad_directory');
    expect(e?.message, bad).toMatch(says);
  }
  expect(readdirSync(dir).sort()).toEqual(['a-file', 'read-only']);
  expect(readdirSync(readOnly)).toEqual([]);
}

describe('app host: heapSnapshot', () => {
  it("writes the demo server's heap where asked, and refuses a bad directory", async () => {
    const h = await host();
    const dir = tempDir();
    const written = value<HeapSnapshotWritten>(await h.handle('heapSnapshot', { source: 'server', dir }));
    expectDevToolsSnapshot(written, dir, process.pid);
    // The demo server serves on after it.
    expect((await request(`${h.info().serverUrl}/`)).status).toBe(200);
    await expectRefused(h, (bad) => ({ source: 'server', dir: bad }));
    expect(h.info().heapSnapshotDir).toMatch(/\/loopscope-snapshots$/);
  }, 60_000);

  it("writes a watched process's heap over its inspector, and refuses a pid not watched", async () => {
    const h = await host();
    const t = startOrphanTarget();
    const dir = tempDir();
    expect(error(await h.handle('heapSnapshot', { source: 'watch', pid: t.pid, dir }))?.code).toBe(
      'not_found',
    );
    value(await h.handle('watchProcess', { pid: t.pid }));
    const written = value<HeapSnapshotWritten>(
      await h.handle('heapSnapshot', { source: 'watch', pid: t.pid, dir }),
    );
    expectDevToolsSnapshot(written, dir, t.pid);
    // The target's own heap, not this process's: its fixture's source is among its strings.
    expect(readFileSync(written.path, 'utf8')).toContain('attach-target');
    expect((await request(`${t.base}/`)).text).toBe('ok\n');
    await expectRefused(h, (bad) => ({ source: 'watch', pid: t.pid, dir: bad }));
    value(await h.handle('unwatchProcess', {}));
  }, 90_000);
});
