/** One process's state: the in-memory feed and job queue, exactly as a lone server has them. */
import { Feed } from '../feed';
import { JobQueue } from '../job-queue';
import type { SharedState } from './types';

export function memoryState(options: {
  feedCapacity?: number;
  queueCapacity?: number;
  workers?: number;
}): SharedState {
  const feed = new Feed(options.feedCapacity);
  const queue = new JobQueue(options.queueCapacity, options.workers);
  return {
    feed,
    queue,
    publish: (data) => feed.publish(data),
    sync: () => null,
    close: () => {
      queue.close();
      return Promise.resolve();
    },
  };
}
