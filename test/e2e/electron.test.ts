/**
 * The desktop app end to end through playwright-core's Electron driver. Runs where the Electron
 * binary is installed and a display exists; elsewhere it is reported as skipped, with the reason
 * in the test's title so it shows in the vitest output.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { displayProblem, findElectronBinary } from '../../scripts/electron-binary';
import { alive, childrenOf, readoutNumber, ROOT, waitFor } from './harness';

const binary = findElectronBinary();
const built = existsSync(join(ROOT, 'out/main/index.js'));
const skipReason = !binary.ok
  ? binary.reason
  : (displayProblem() ??
    (built ? null : 'the app is not built (out/main/index.js missing; run npm run build)'));
const title = skipReason === null ? 'Electron app' : `Electron app (skipped: ${skipReason})`;
// The default reporter folds skipped files into a count; say why where everyone reads it.
if (skipReason !== null) console.warn(`electron e2e: ${title}`);

describe.skipIf(skipReason !== null)(title, () => {
  it('opens one locked-down window that charts the engine, and quits leaving nothing behind', async () => {
    if (!binary.ok) throw new Error('unreachable: skipped without a binary');
    const app: ElectronApplication = await electron.launch({
      executablePath: binary.path,
      args: [ROOT],
      cwd: ROOT,
    });
    const pid = app.process().pid!;
    let children: number[] = [];
    try {
      const page = await app.firstWindow();
      await waitFor(
        'the IPC bridge',
        () => page.getByTestId('bridge-status').textContent(),
        (t) => t === 'connected',
      );
      // The page sees exactly the typed API, and no Node.
      const surface = await page.evaluate(() => ({
        api: Object.keys((globalThis as unknown as { loopscope: object }).loopscope).sort(),
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
      }));
      expect(surface).toEqual({ api: ['invoke', 'on'], require: 'undefined', process: 'undefined' });
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const wc = BrowserWindow.getAllWindows()[0]!.webContents;
        const p = (
          wc as unknown as { getLastWebPreferences(): Record<string, unknown> }
        ).getLastWebPreferences();
        return {
          count: BrowserWindow.getAllWindows().length,
          ci: p.contextIsolation,
          sb: p.sandbox,
          ni: p.nodeIntegration,
        };
      });
      expect(prefs).toEqual({ count: 1, ci: true, sb: true, ni: false });

      // A bad payload is refused; main keeps running and answers the next command.
      const refused = await page.evaluate(() =>
        (
          globalThis as unknown as { loopscope: { invoke(n: string, p: unknown): Promise<unknown> } }
        ).loopscope
          .invoke('setWorkers', { workers: -1 })
          .then(
            () => 'accepted',
            (e: { code?: string }) => e.code,
          ),
      );
      expect(refused).toBe('bad_payload');

      await page.getByTestId('spawn-count-ws-prime').fill('50');
      await page.getByTestId('spawn-ws-prime').click();
      // The generator process among them: it must be gone after quit.
      children = childrenOf(pid);
      await waitFor(
        '50 connections',
        async () => readoutNumber(await page.getByTestId('conn-total').textContent()),
        (n) => n === 50,
      );
    } finally {
      await app.close();
    }
    expect(alive(pid)).toBe(false);
    for (const child of children)
      await waitFor(
        `child ${child} to exit`,
        async () => alive(child),
        (a) => !a,
        10_000,
      );
  });
});
