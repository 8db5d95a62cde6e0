/**
 * `npm start`: build the app, then launch Electron. Where Electron cannot start (binary missing and
 * not downloadable, or no display) say why in one line and run browser mode instead — exactly what
 * `npm run serve` runs, which prints the dashboard URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayProblem, findElectronBinary } from './electron-binary';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

function build(): void {
  const pkg = require.resolve('electron-vite/package.json');
  const cli = join(dirname(pkg), 'bin', 'electron-vite.js');
  console.log('loopscope: building the app…');
  // Warnings and errors only: the chunk list would bury the one line that matters (the URL).
  const result = spawnSync(process.execPath, [cli, 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('loopscope: the build failed (see above)');
    process.exit(result.status ?? 1);
  }
}

function forward(child: ChildProcess): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

// LOOPSCOPE_SKIP_BUILD=1: out/ is already fresh (the tests build once in pretest, then run this).
if (process.env.LOOPSCOPE_SKIP_BUILD !== '1') build();
const electron = findElectronBinary();
const problem = electron.ok ? displayProblem() : electron.reason;
const extraArgs = process.argv.slice(2);
if (electron.ok && problem === null) {
  forward(spawn(electron.path, [root, ...extraArgs], { cwd: root, stdio: 'inherit' }));
} else {
  console.log(`loopscope: cannot start Electron: ${problem}; starting the browser dashboard instead.`);
  forward(
    spawn(process.execPath, ['--import', 'tsx', join(root, 'main/cli/index.ts'), 'serve', ...extraArgs], {
      cwd: root,
      stdio: 'inherit',
    }),
  );
}
