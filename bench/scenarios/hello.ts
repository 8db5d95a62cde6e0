/** hello: keep-alive GET / from 50 connections, one request in flight each, for 10 s. */
import { runClosedLoop } from '../load/closed-loop';
import type { Scenario } from './scenario';

export const hello: Scenario = {
  name: 'hello',
  title: 'hello: keep-alive GET /, 50 connections',
  metrics: [
    { key: 'perS', label: 'requests/s', digits: 0 },
    { key: 'p50Ms', label: 'latency p50 ms', digits: 2 },
    { key: 'p99Ms', label: 'latency p99 ms', digits: 2 },
    { key: 'cpuUs', label: 'server CPU µs per reply', digits: 1 },
    { key: 'wrong', label: 'wrong replies + errors', digits: 0 },
  ],
  async run({ server, quick }) {
    const r = await runClosedLoop(
      {
        mode: 'hello',
        url: server.url,
        connections: 50,
        inFlight: 1,
        warmupMs: quick ? 1000 : 2000,
        durationMs: quick ? 3000 : 10_000,
      },
      server.pid,
    );
    return {
      perS: r.perS,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      cpuUs: r.serverCpuUsPerReply,
      wrong: r.wrong + r.errors,
    };
  },
};
