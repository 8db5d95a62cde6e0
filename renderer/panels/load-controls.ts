/**
 * Simulated clients: spawn or stop N of each kind (with a ramp), stop everything, and see what the
 * generator reports per kind — active, pending and failures.
 */
import { CLIENT_COUNT, RAMP_PER_S } from '../../common/limits';
import { CLIENT_KINDS, type ClientKind, type LoadReport } from '../../common/load';
import { fmt, h, setText, setTitle } from '../dom';
import { KIND_LABELS } from '../kind-labels';
import type { PanelContext } from './context';
import { NumberField } from './fields';

/** How many clients one Spawn or Stop moves: what the app accepts (at least one). */
const MOVED_COUNT = { ...CLIENT_COUNT, min: 1 };

const DEFAULT_COUNT: Record<ClientKind, number> = {
  'ws-prime': 500,
  'ws-feed': 200,
  sse: 200,
  'long-poll': 200,
  http: 20,
  publisher: 1,
  'job-producer': 2,
  'ws-echo': 0,
};

/**
 * Clients of a kind that were spawned and are running. The generator also counts the publish-rate
 * sender as an active publisher; the Publisher row counts only publishers spawned here (the rate
 * in force is shown beside the Feed's rate field).
 */
export function activeSpawned(report: LoadReport, kind: ClientKind): number {
  const active = report.kinds[kind]?.active ?? 0;
  if (kind !== 'publisher' || !report.publishRatePerS) return active;
  return Math.max(0, active - 1);
}

interface Row {
  active: HTMLElement;
  pending: HTMLElement;
  failures: HTMLElement;
}

export class LoadControls {
  readonly root: HTMLElement;
  private readonly rows = new Map<ClientKind, Row>();

  constructor(private readonly ctx: PanelContext) {
    const ramp = new NumberField('spawn-ramp', 0, RAMP_PER_S, {
      name: 'Ramp',
      fractional: true,
      ariaLabel: 'Ramp, clients per second (0 = all at once)',
    });
    const body = h('tbody');
    for (const kind of CLIENT_KINDS) {
      const label = KIND_LABELS[kind];
      const count = new NumberField(`spawn-count-${kind}`, DEFAULT_COUNT[kind], MOVED_COUNT, {
        name: `${label} clients to spawn or stop`,
        ariaLabel: `${label}: how many to spawn or stop`,
      });
      const spawn = h(
        'button',
        { class: 'btn primary small', testid: `spawn-${kind}`, 'aria-label': `Spawn ${label} clients` },
        'Spawn',
      );
      const stop = h(
        'button',
        { class: 'btn small', testid: `stop-${kind}`, 'aria-label': `Stop ${label} clients` },
        'Stop',
      );
      spawn.addEventListener('click', () => {
        const n = count.read();
        const rampPerS = ramp.read();
        if (n === null || rampPerS === null) return;
        void ctx.act(spawn, () => ctx.api.invoke('load', { type: 'spawn', kind, count: n, rampPerS }), count);
      });
      stop.addEventListener('click', () => {
        const n = count.read();
        if (n === null) return;
        void ctx.act(stop, () => ctx.api.invoke('load', { type: 'stop', kind, count: n }), count);
      });
      const row: Row = {
        active: h('td', { class: 'n', testid: `active-${kind}`, 'data-source': 'clients' }, '0'),
        pending: h('td', { class: 'n muted', 'data-source': 'clients' }, '0'),
        failures: h('td', { class: 'n muted', 'data-source': 'clients' }, '0'),
      };
      this.rows.set(kind, row);
      body.append(
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          row.active,
          row.pending,
          row.failures,
          h('td', { class: 'actions' }, count.input, spawn, stop),
        ),
        // The count's error, under its own row.
        h('tr', { class: 'field-error-row' }, h('td', { colspan: 5 }, count.el)),
      );
    }
    const stopAll = h(
      'button',
      { class: 'btn danger', testid: 'stop-all', 'aria-label': 'Stop all simulated clients' },
      'Stop all',
    );
    stopAll.addEventListener('click', async () => {
      const done = await ctx.act(stopAll, () => ctx.api.invoke('load', { type: 'stopAll' }));
      // With no clients the generator cannot skew any figure: its saturation is no longer news.
      if (done) ctx.dismiss('generator_warning');
    });

    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Simulated clients' },
      h('h2', {}, 'Simulated clients'),
      h(
        'table',
        { class: 'kinds' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Kind'),
            h('th', {}, 'Active'),
            h('th', {}, 'Pend.'),
            h('th', {}, 'Fail'),
            h('th', {}, 'N'),
          ),
        ),
        body,
      ),
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Ramp ', ramp.input, h('span', { class: 'muted' }, ' clients/s (0 = all at once)')),
        stopAll,
        ramp.el,
      ),
    );
  }

  update(report: LoadReport | null): void {
    if (!report) return;
    for (const [kind, row] of this.rows) {
      const k = report.kinds[kind];
      if (!k) continue;
      setText(row.active, fmt(activeSpawned(report, kind)));
      setText(row.pending, fmt(k.pending));
      const failures = Object.entries(k.failures);
      const total = failures.reduce((t, [, n]) => t + n, 0);
      setText(row.failures, fmt(total));
      setTitle(row.failures, failures.map(([cause, n]) => `${cause}: ${n}`).join('\n'));
      row.failures.classList.toggle('bad', total > 0);
    }
  }
}
