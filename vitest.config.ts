import { defineConfig } from 'vitest/config';

/**
 * Dashboard files with checks of what the page drew within seconds: beside another heavy file
 * (a load average of 7 on 2 cores) the page drew a bcrypt marker late or not at all.
 */
const SHARED_CORES_FAIL = ['test/e2e/dashboard-controls.test.ts'];

export default defineConfig({
  test: {
    // test/alone/ loads the machine on purpose (a full threadpool, a starved CPU, a growing heap):
    // it runs after everything else, one file at a time, so no timing check shares the cores with it.
    // So do the files whose checks failed in CI only when another file shared the two cores.
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/alone/**', ...SHARED_CORES_FAIL, '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ['test/alone/**/*.test.ts', ...SHARED_CORES_FAIL],
          sequence: { groupOrder: 1 },
          maxWorkers: 1,
        },
      },
    ],
    // Real sockets and child processes: forks isolate each file's servers and fds.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: running every heavy integration file at once makes timing-based checks noisy.
    maxWorkers: 2,
  },
});
