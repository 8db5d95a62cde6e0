/**
 * The §5 feed suite again, with the feed's state in a real redis-server (state/redis.ts, the state
 * `serve --workers` and `--redis` use): every rule of engine-feed.test.ts must hold there too.
 */
process.env.LOOPSCOPE_TEST_STATE = 'redis';
await import('./engine-feed.test');

export {};
