/** Feed publishing, the job queue and bcrypt: the server-side work the charts react to. */
import {
  JOB_COUNT,
  JOB_WORK_MS,
  PUBLISH_RATE_PER_S,
  QUEUE_CAPACITY,
  QUEUE_WORKERS,
} from '../../common/limits';
import type { LoadReport } from '../../common/load';
import type { QueueStats } from '../../common/snapshot';
import type { BcryptRun } from '../charts/bcrypt-markers';
import { fmt, h, numberInput, readNumber, setText } from '../dom';
import type { PanelContext } from './context';

export class WorkControls {
  readonly root: HTMLElement;
  private readonly workers = numberInput('workers', QUEUE_WORKERS.default!, QUEUE_WORKERS);
  private workersTouched = false;
  private readonly rate = numberInput('publish-rate', 0, PUBLISH_RATE_PER_S);
  private rateTouched = false;
  private readonly inForce = h('span', { class: 'muted', testid: 'publish-in-force' }, 'not publishing');
  private readonly capacity = h(
    'span',
    { class: 'muted', testid: 'jobs-capacity', title: 'Jobs the queue holds; more are rejected (503)' },
    '',
  );

  constructor(
    private readonly ctx: PanelContext,
    /** Each finished bcrypt run, for the charts' markers. */
    onBcryptRun: (run: BcryptRun) => void = () => undefined,
  ) {
    // Feed: the field shows the rate in force (from the app, so Stop all, another tab or a dead
    // generator show too) except while someone is typing a new one.
    const rate = this.rate;
    rate.setAttribute('aria-label', 'Publish rate, messages per second');
    rate.addEventListener('input', () => (this.rateTouched = true));
    const setRate = h('button', { class: 'btn small', testid: 'publish-apply' }, 'Set');
    const inForce = this.inForce;
    setRate.addEventListener('click', async () => {
      const perS = readNumber(rate) || 0;
      const r = await ctx.act(setRate, () => ctx.api.invoke('load', { type: 'publishRate', perS }));
      if (r) {
        this.rateTouched = false;
        this.showRate(perS);
      }
    });

    // Jobs
    // The default fits an empty queue, so a first Enqueue is all accepted.
    const jobCount = numberInput('jobs-count', QUEUE_CAPACITY / 2, JOB_COUNT);
    jobCount.setAttribute('aria-label', 'Jobs to enqueue');
    const workMs = numberInput('jobs-work-ms', 50, JOB_WORK_MS);
    workMs.setAttribute('aria-label', 'Work per job, ms');
    const enqueue = h('button', { class: 'btn small', testid: 'jobs-enqueue' }, 'Enqueue');
    const jobResult = h('span', { class: 'muted', testid: 'jobs-result' }, '');
    enqueue.addEventListener('click', async () => {
      const r = await ctx.act(enqueue, () =>
        ctx.api.invoke('enqueueJobs', { count: readNumber(jobCount), workMs: readNumber(workMs) }),
      );
      if (r)
        jobResult.textContent = `accepted ${fmt(r.accepted)}, rejected ${fmt(r.rejected)}, depth ${fmt(r.depth)}`;
    });
    this.workers.addEventListener('input', () => (this.workersTouched = true));
    const setWorkers = h('button', { class: 'btn small', testid: 'workers-apply' }, 'Set');
    setWorkers.addEventListener('click', async () => {
      const stats = await ctx.act(setWorkers, () =>
        ctx.api.invoke('setWorkers', { workers: readNumber(this.workers) }),
      );
      if (stats) this.workersTouched = false;
    });

    // bcrypt
    const cost = h('select', { testid: 'bcrypt-cost' });
    for (let c = 4; c <= 14; c++) cost.append(h('option', { value: c, selected: c === 12 }, String(c)));
    const runs = numberInput('bcrypt-runs', 1, { min: 1, max: 20 });
    const result = h('span', { class: 'muted', testid: 'bcrypt-result' }, '');
    const bcrypt = (mode: 'loop' | 'pool', button: HTMLButtonElement) => async () => {
      const n = readNumber(runs) || 1;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const r = await ctx.act(button, () =>
          ctx.api.invoke('runBcrypt', { cost: Number(cost.value), mode }),
        );
        if (!r) return;
        const end = Date.now();
        onBcryptRun({ start: end - r.ms, end, mode: r.mode, cost: r.cost });
        total += r.ms;
      }
      result.textContent = `${n}× cost ${cost.value} on the ${mode}: ${fmt(total / n, 0)} ms each`;
    };
    const onLoop = h('button', { class: 'btn warn small', testid: 'bcrypt-loop' }, 'On the loop');
    const onPool = h('button', { class: 'btn small', testid: 'bcrypt-pool' }, 'On the pool');
    onLoop.addEventListener('click', bcrypt('loop', onLoop));
    onPool.addEventListener('click', bcrypt('pool', onPool));

    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Server work' },
      h('h2', {}, 'Feed'),
      h('div', { class: 'row' }, h('label', {}, 'Publish ', rate, ' msg/s'), setRate, inForce),
      h('h2', {}, 'Job queue'),
      h('div', { class: 'row' }, h('label', {}, jobCount, ' jobs × ', workMs, ' ms'), enqueue),
      h('div', { class: 'row' }, this.capacity, jobResult),
      h('div', { class: 'row' }, h('label', {}, 'Workers ', this.workers), setWorkers),
      h('h2', {}, 'bcrypt'),
      h('div', { class: 'row' }, h('label', {}, 'Cost ', cost), h('label', {}, '× ', runs), onLoop, onPool),
      h('div', { class: 'row' }, result),
    );
  }

  private showRate(perS: number): void {
    setText(this.inForce, perS > 0 ? `in force: ${fmt(perS)} msg/s` : 'not publishing');
    if (!this.rateTouched && document.activeElement !== this.rate) {
      const value = String(perS);
      if (this.rate.value !== value) this.rate.value = value;
    }
  }

  /** The rate in force, as the app last reported it. */
  updateFeed(report: LoadReport | null): void {
    if (report?.publishRatePerS !== undefined) this.showRate(report.publishRatePerS);
  }

  update(queue: QueueStats | null): void {
    if (queue) setText(this.capacity, `queue ${fmt(queue.depth)} / ${fmt(queue.capacity)}`);
    if (queue && !this.workersTouched && document.activeElement !== this.workers) {
      this.workers.value = String(queue.workers);
    }
  }
}
