/** Runs tasks one at a time, each after the one before has settled, failed or not. */
export class SerialQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.last.then(task, task);
    this.last = run.catch(() => undefined);
    return run;
  }

  /** Settles once every task queued so far has. */
  idle(): Promise<unknown> {
    return this.last;
  }
}
