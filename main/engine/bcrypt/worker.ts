/**
 * Piscina worker (bundled as 'bcrypt-worker'): hashes off the event loop, so mode=pool leaves the
 * server's loop free while the CPU works.
 */
import bcrypt from 'bcrypt';

export interface BcryptTask {
  password: Uint8Array;
  cost: number;
}

export default function hash(task: BcryptTask): string {
  return bcrypt.hashSync(Buffer.from(task.password), task.cost);
}
