/**
 * Piscina worker (bundled as 'bcrypt-worker'): hashes off the event loop, so mode=pool leaves the
 * server's loop free while the CPU works.
 */
import bcrypt from 'bcrypt';

export interface BcryptTask {
  password: Uint8Array;
  cost: number;
}

export interface BcryptDone {
  hash: string;
  /** How long the hash itself took on the worker: the rest of a run's time was queueing. */
  runMs: number;
}

export default function hash(task: BcryptTask): BcryptDone {
  const start = performance.now();
  const hash = bcrypt.hashSync(Buffer.from(task.password), task.cost);
  return { hash, runMs: performance.now() - start };
}
