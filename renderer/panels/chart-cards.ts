/**
 * The grid of live charts. Each card has a PNG export; the feed-delivery card also shows the three
 * transports' latest p50/p99 side by side.
 */
import type { LoadReport } from '../../common/load';
import { CHART_SPECS } from '../charts/specs';
import { TimeChart } from '../charts/time-chart';
import { fmt, h } from '../dom';
import type { SampleStore } from '../state/samples';
import { downloadDataUrl, stamp } from './export';

const TRANSPORTS = [
  ['long-poll', 'Long poll'],
  ['ws-feed', 'WebSocket'],
  ['sse', 'SSE'],
] as const;

export class ChartCards {
  readonly cards: HTMLElement[] = [];
  readonly charts: TimeChart[] = [];
  private readonly delivery = new Map<string, HTMLElement>();

  constructor() {
    for (const spec of CHART_SPECS) {
      const canvas = h('canvas', { 'aria-label': spec.title, role: 'img' });
      const png = h(
        'button',
        { class: 'btn ghost small', testid: `png-${spec.id}`, title: 'Save as PNG' },
        'PNG',
      );
      const extra = spec.id === 'delivery' ? this.deliveryTiles() : null;
      const card = h(
        'section',
        { class: 'card', testid: `chart-${spec.id}` },
        h('header', {}, h('h3', {}, spec.title), png),
        extra,
        h('div', { class: 'chart-box' }, canvas),
      );
      const chart = new TimeChart(spec, canvas);
      png.addEventListener('click', () =>
        downloadDataUrl(`loopscope-${spec.id}-${stamp()}.png`, chart.toPng()),
      );
      this.cards.push(card);
      this.charts.push(chart);
    }
  }

  private deliveryTiles(): HTMLElement {
    return h(
      'div',
      { class: 'side-by-side' },
      ...TRANSPORTS.map(([kind, label]) => {
        const value = h('span', { testid: `delivery-${kind}` }, '—');
        this.delivery.set(kind, value);
        return h('div', { class: `transport ${kind}` }, h('div', { class: 'muted' }, label), value);
      }),
    );
  }

  setStallTimes(times: readonly number[]): void {
    for (const chart of this.charts) if (chart.spec.stallMarks) chart.setStallTimes(times);
  }

  redraw(store: SampleStore, windowMs: number): void {
    for (const chart of this.charts) chart.update(store.ring, windowMs);
  }

  updateReport(report: LoadReport | null): void {
    if (!report) return;
    for (const [kind] of TRANSPORTS) {
      const d = report.kinds[kind]?.delivery;
      const el = this.delivery.get(kind);
      if (el) el.textContent = d && d.count > 0 ? `${fmt(d.p50Ms, 1)} / ${fmt(d.p99Ms, 1)} ms` : '—';
    }
  }
}
