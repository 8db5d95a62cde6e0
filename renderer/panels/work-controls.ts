/** Feed publishing, the job queue and bcrypt: the server-side work the charts react to. */
import {
  BCRYPT_COST,
  BCRYPT_RUNS,
  JOB_COUNT,
  JOB_WORK_MS,
  PUBLISH_RATE_PER_S,
  QUEUE_CAPACITY,
  QUEUE_WORKERS,
} from '../../common/limits';
import type { LoadReport } from '../../common/load';
import type { QueueStats } from '../../common/snapshot';
import type { BcryptRun } from '../charts/bcrypt-markers';
import { fmt, h, setText } from '../dom';
import type { PanelContext } from './context';
import { NumberField } from './fields';

/** A rate as set: 2.5 msg/s stays 2.5, never shown rounded to 3. */
const rateFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export class WorkControls {
  readonly root: HTMLElement;
  private readonly workers = new NumberField('workers', QUEUE_WORKERS.default!, QUEUE_WORKERS, {
    name: 'Queue workers',
  });
  private workersTouched = false;
  private readonly rate = new NumberField('publish-rate', 0, PUBLISH_RATE_PER_S, {
    name: 'Publish rate',
    fractional: true,
    ariaLabel: 'Publish rate, messages per second',
  });
  private rateTouched = false;
  private readonly inForce = h('span', { class: 'muted', testid: 'publish-in-force' }, 'not publishing');
  private readonly capacity = h(
    'span',
    { class: 'muted', testid: 'jobs-capacity', title: 'Jobs the queue holds; more are rejected (503)' },
    '',
  );
  /** The bcrypt series running now (one click's "× N"), which Stop ends after the run in flight. */
  private series: { stopped: boolean } | null = null;

  constructor(
    private readonly ctx: PanelContext,
    /** Each finished bcrypt run, for the charts' markers. */
    onBcryptRun: (run: BcryptRun) => void = () => undefined,
  ) {
    // Feed: the field shows the rate in force (from the app, so Stop all, another tab or a dead
    // generator show too) except while someone is typing a new one.
    const rate = this.rate;
    rate.input.addEventListener('input', () => (this.rateTouched = true));
    const setRate = h(
      'button',
      { class: 'btn small', testid: 'publish-apply', 'aria-label': 'Set the publish rate' },
      'Set',
    );
    setRate.addEventListener('click', async () => {
      const perS = rate.read();
      if (perS === null) return;
      const r = await ctx.act(setRate, () => ctx.api.invoke('load', { type: 'publishRate', perS }), rate);
      if (r) {
        this.rateTouched = false;
        this.showRate(perS);
      }
    });

    // Jobs
    // The default fits an empty queue, so a first Enqueue is all accepted.
    const jobCount = new NumberField('jobs-count', QUEUE_CAPACITY / 2, JOB_COUNT, {
      name: 'Jobs to enqueue',
      ariaLabel: 'Jobs to enqueue',
    });
    const workMs = new NumberField('jobs-work-ms', 50, JOB_WORK_MS, {
      name: 'Work per job (ms)',
      ariaLabel: 'Work per job, ms',
    });
    const enqueue = h('button', { class: 'btn small', testid: 'jobs-enqueue' }, 'Enqueue');
    const jobResult = h('span', { class: 'muted', testid: 'jobs-result' }, '');
    enqueue.addEventListener('click', async () => {
      const count = jobCount.read();
      const ms = workMs.read();
      if (count === null || ms === null) return;
      const r = await ctx.act(enqueue, () => ctx.api.invoke('enqueueJobs', { count, workMs: ms }));
      if (r)
        jobResult.textContent = `accepted ${fmt(r.accepted)}, rejected ${fmt(r.rejected)}, depth ${fmt(r.depth)}`;
    });
    this.workers.input.addEventListener('input', () => (this.workersTouched = true));
    const setWorkers = h(
      'button',
      { class: 'btn small', testid: 'workers-apply', 'aria-label': 'Set the queue workers' },
      'Set',
    );
    setWorkers.addEventListener('click', async () => {
      const workers = this.workers.read();
      if (workers === null) return;
      const stats = await ctx.act(setWorkers, () => ctx.api.invoke('setWorkers', { workers }), this.workers);
      if (stats) this.workersTouched = false;
    });

    // bcrypt: "× N" runs one after another, each its own command, so Stop ends a series between two.
    const cost = h('select', { testid: 'bcrypt-cost', 'aria-label': 'bcrypt cost' });
    for (let c = BCRYPT_COST.min; c <= BCRYPT_COST.max; c++)
      cost.append(h('option', { value: c, selected: c === 12 }, String(c)));
    const runs = new NumberField('bcrypt-runs', 1, BCRYPT_RUNS, {
      name: 'Runs in a row',
      ariaLabel: 'bcrypt runs in a row',
    });
    const result = h('span', { class: 'muted', testid: 'bcrypt-result', role: 'status' }, '');
    const onLoop = h(
      'button',
      { class: 'btn warn small', testid: 'bcrypt-loop', 'aria-label': 'Run bcrypt on the event loop' },
      'On the loop',
    );
    const onPool = h(
      'button',
      { class: 'btn small', testid: 'bcrypt-pool', 'aria-label': 'Run bcrypt on the worker pool' },
      'On the pool',
    );
    const stop = h(
      'button',
      {
        class: 'btn danger small',
        testid: 'bcrypt-stop',
        'aria-label': 'Stop the bcrypt runs',
        title: 'Sends no further run; the one in flight finishes (it cannot be interrupted on the server)',
        disabled: true,
      },
      'Stop',
    );
    stop.addEventListener('click', () => {
      if (this.series) this.series.stopped = true;
      stop.disabled = true;
    });
    const bcrypt = (mode: 'loop' | 'pool') => async () => {
      if (this.series) return;
      const n = runs.read();
      if (n === null) return;
      const c = Number(cost.value);
      const series = (this.series = { stopped: false });
      onLoop.disabled = onPool.disabled = true;
      stop.disabled = false;
      let done = 0;
      let total = 0;
      let fastest = Infinity;
      let slowest = 0;
      try {
        while (done < n && !series.stopped) {
          setText(result, `${mode === 'loop' ? 'on the loop' : 'on the pool'}: run ${done + 1} of ${n}…`);
          const r = await ctx.act(null, () => ctx.api.invoke('runBcrypt', { cost: c, mode }));
          if (!r) break;
          const end = Date.now();
          onBcryptRun({ start: end - r.ms, end, mode: r.mode, cost: r.cost });
          total += r.ms;
          fastest = Math.min(fastest, r.ms);
          slowest = Math.max(slowest, r.ms);
          done++;
        }
      } finally {
        this.series = null;
        onLoop.disabled = onPool.disabled = false;
        stop.disabled = true;
      }
      // Each run's marker on the charts gives its own time: the line gives their mean and range,
      // so a slow first run on the pool (its threads starting) is one of the figures shown here.
      const range = done > 1 ? ` (${fmt(fastest, 0)}–${fmt(slowest, 0)})` : '';
      const each = done > 0 ? `: ${fmt(total / done, 0)} ms each${range}` : '';
      const stopped = done < n ? ` (stopped after ${done} of ${n})` : '';
      setText(result, `${done}× cost ${c} on the ${mode}${each}${stopped}`);
    };
    onLoop.addEventListener('click', bcrypt('loop'));
    onPool.addEventListener('click', bcrypt('pool'));

    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Server work' },
      h('h2', {}, 'Feed'),
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Publish ', rate.input, ' msg/s'),
        setRate,
        this.inForce,
        rate.el,
      ),
      h('h2', {}, 'Job queue'),
      h(
        'div',
        { class: 'row' },
        h('label', {}, jobCount.input, ' jobs × ', workMs.input, ' ms'),
        enqueue,
        jobCount.el,
        workMs.el,
      ),
      h('div', { class: 'row' }, this.capacity, jobResult),
      h('div', { class: 'row' }, h('label', {}, 'Workers ', this.workers.input), setWorkers, this.workers.el),
      h('h2', {}, 'bcrypt'),
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Cost ', cost),
        h('label', {}, '× ', runs.input),
        onLoop,
        onPool,
        stop,
        runs.el,
      ),
      h('div', { class: 'row' }, result),
    );
  }

  private showRate(perS: number): void {
    setText(this.inForce, perS > 0 ? `in force: ${rateFormat.format(perS)} msg/s` : 'not publishing');
    if (!this.rateTouched && document.activeElement !== this.rate.input) {
      const value = String(perS);
      if (this.rate.input.value !== value) this.rate.input.value = value;
    }
  }

  /** The rate in force, as the app last reported it. */
  updateFeed(report: LoadReport | null): void {
    if (report?.publishRatePerS !== undefined) this.showRate(report.publishRatePerS);
  }

  update(queue: QueueStats | null): void {
    if (queue) setText(this.capacity, `queue ${fmt(queue.depth)} / ${fmt(queue.capacity)}`);
    if (queue && !this.workersTouched && document.activeElement !== this.workers.input) {
      this.workers.input.value = String(queue.workers);
    }
  }
}
