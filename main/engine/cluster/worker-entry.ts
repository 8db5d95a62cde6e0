/**
 * The entry point of each server process the primary forks (node:cluster's `exec`): the same file
 * whether the primary is `serve --workers N`, the Electron app or the browser-mode app host.
 */
import { runWorker, WORKER_ENV, type WorkerConfig } from './worker';

const config = process.env[WORKER_ENV];
if (!config) {
  console.error(`loopscope: a server worker needs ${WORKER_ENV}; it is started by the primary`);
  process.exitCode = 2;
} else {
  process.exitCode = await runWorker(JSON.parse(config) as WorkerConfig);
}

export {};
