/**
 * What the simulated clients checked: wrong prime answers and feed messages missing, duplicated,
 * out of order or lost to an expired cursor. Green at zero, red otherwise; plus the generator's
 * own health, since an overloaded generator makes the server look slower than it is.
 */
import { FEED_KINDS, type ClientKind, type IntegrityCounters, type LoadReport } from '../../common/load';
import { fmt, h, setText } from '../dom';
import { KIND_LABELS } from '../kind-labels';

const COUNTERS: [keyof IntegrityCounters, string][] = [
  ['wrong', 'Wrong'],
  ['missing', 'Missing'],
  ['duplicated', 'Dup.'],
  ['outOfOrder', 'Order'],
  ['expiredLost', 'Expired'],
];
/** The kinds that verify what they receive: prime answers, and the feed's sequence. */
const CHECKED_KINDS: [ClientKind, string][] = (['ws-prime', ...FEED_KINDS] as const).map((k) => [
  k,
  KIND_LABELS[k],
]);

export class IntegrityPanel {
  readonly root: HTMLElement;
  private readonly cells = new Map<string, HTMLElement>();
  private readonly genProcesses = h('span', { testid: 'generator-processes' }, '—');
  private readonly genLoop = h('span', { testid: 'generator-loop-p99' }, '—');
  private readonly genCpu = h('span', { testid: 'generator-cpu-percent' }, '—');
  private readonly genWarning = h('div', { class: 'gen-warning', testid: 'generator-warning' }, '');

  constructor() {
    const cell = (key: string, testid?: string) => {
      const td = h('td', { class: 'n counter good', testid }, '0');
      this.cells.set(key, td);
      return td;
    };
    const body = h('tbody');
    for (const [kind, label] of CHECKED_KINDS) {
      body.append(
        h('tr', {}, h('th', { scope: 'row' }, label), ...COUNTERS.map(([c]) => cell(`${kind}:${c}`))),
      );
    }
    body.append(
      h(
        'tr',
        { class: 'total' },
        h('th', { scope: 'row' }, 'Total'),
        ...COUNTERS.map(([c]) => cell(`total:${c}`, `integrity-${c}`)),
      ),
    );
    this.root = h(
      'section',
      { class: 'card wide', 'aria-label': 'Integrity and generator health', 'data-source': 'clients' },
      h(
        'div',
        { class: 'wide-main' },
        h(
          'header',
          {},
          h('h3', {}, 'Integrity'),
          h('span', { class: 'muted' }, 'checked by every simulated client'),
        ),
        h(
          'table',
          { class: 'integrity' },
          h('thead', {}, h('tr', {}, h('th', {}, ''), ...COUNTERS.map(([, label]) => h('th', {}, label)))),
          body,
        ),
      ),
      h(
        'div',
        { class: 'wide-side' },
        h('header', {}, h('h3', {}, 'Load generator health')),
        h(
          'div',
          { class: 'gen-health' },
          h('div', {}, h('span', { class: 'muted' }, 'Processes '), this.genProcesses),
          h('div', {}, h('span', { class: 'muted' }, 'Loop p99 '), this.genLoop, ' ms'),
          h('div', {}, h('span', { class: 'muted' }, 'CPU '), this.genCpu, ' %'),
        ),
        this.genWarning,
      ),
    );
  }

  update(report: LoadReport | null): void {
    if (!report) return;
    const totals: IntegrityCounters = { wrong: 0, missing: 0, duplicated: 0, outOfOrder: 0, expiredLost: 0 };
    for (const k of Object.values(report.kinds)) {
      for (const [c] of COUNTERS) totals[c] += k.integrity[c];
    }
    const paint = (key: string, value: number) => {
      const td = this.cells.get(key);
      if (!td) return;
      setText(td, fmt(value));
      td.classList.toggle('good', value === 0);
      td.classList.toggle('bad', value > 0);
    };
    for (const [kind] of CHECKED_KINDS) {
      const k = report.kinds[kind];
      if (k) for (const [c] of COUNTERS) paint(`${kind}:${c}`, k.integrity[c]);
    }
    for (const [c] of COUNTERS) paint(`total:${c}`, totals[c]);

    const g = report.generator;
    setText(this.genProcesses, fmt(g.processes));
    setText(this.genLoop, fmt(g.eventLoopP99Ms, 1));
    setText(this.genCpu, fmt(g.cpuPercent, 0));
    setText(this.genWarning, g.warning ?? 'healthy: the numbers above measure the server, not the generator');
    this.genWarning.classList.toggle('warn', g.warning !== null);
  }
}
