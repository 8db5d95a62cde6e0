import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets and child processes: forks isolate each file's servers and fds.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: running every heavy integration file at once makes timing-based checks noisy.
    maxWorkers: 2,
  },
});
