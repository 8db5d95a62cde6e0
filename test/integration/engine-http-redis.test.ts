/**
 * The protocol suite of engine-http.test.ts again (jobs, stats, errors), with the server's feed and
 * job queue in a real redis-server (state/redis.ts, the state `serve --workers` and `--redis` use).
 */
process.env.LOOPSCOPE_TEST_STATE = 'redis';
await import('./engine-http.test');

export {};
