/**
 * `load`'s "why clients waited" line (docs/protocol.md §12) from the server's episodes during the
 * run. In test/alone/: that no `loop` episode is named while the loop is free holds only on a
 * machine no other test file loads (sharing it, a starved process's stall lands in any function).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../main/engine/engine';
import { runLoadCli } from '../fixtures/load-wait';

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ port: 0 });
});

afterAll(async () => {
  await engine?.close();
});

test("the summary says why the clients waited: the server's §12 episodes during the run", async () => {
  // /aggregate awaits the server's own /slow twice: the loop is free, the upstream is slow.
  const args = ['--target', engine.url, '--http', '10', '--http-path', '/aggregate', '--slow-ms', '600'];
  const text = await runLoadCli([...args, '--duration', '4']);
  expect(text.code).toBe(0);
  const origin = engine.url.replace('localhost', '127.0.0.1');
  expect(text.stdout).toMatch(
    /^why clients waited: .*upstream ×\d+: Requests wait on http:\/\/\S+: p99 \d+ ms/m,
  );
  expect(text.stdout).not.toMatch(/why clients waited:.*\bloop ×/);
  const json = await runLoadCli([...args, '--duration', '4', '--json']);
  const doc = JSON.parse(json.stdout) as {
    why: { cause: string; culprit: { origin?: string } }[];
  };
  // The run's upstream episodes (one still open from the run before counts too), and no loop.
  const upstream = doc.why.filter((d) => d.cause === 'upstream');
  expect(upstream.length, JSON.stringify(doc.why)).toBeGreaterThanOrEqual(1);
  for (const d of upstream) expect(d.culprit.origin).toBe(origin);
  expect(doc.why.map((d) => d.cause)).not.toContain('loop');
});
