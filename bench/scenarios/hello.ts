/** hello: keep-alive GET / from 50 connections, one request in flight each, for 10 s. */
import { closedLoopFigures, closedLoopMetrics, generatorKeptUp } from './closed-loop-figures';
import type { Scenario } from './scenario';

export const hello: Scenario = {
  name: 'hello',
  title: 'hello: keep-alive GET /, 50 connections',
  metrics: closedLoopMetrics('requests/s', 'latency', 2),
  run: (ctx) => closedLoopFigures(ctx, 'hello', 1, 10_000),
  targets: (m) => [generatorKeptUp(m)],
};
