/**
 * The headline numbers across the top: the latest snapshot and load report, refreshed once per
 * frame at most. Each value carries a stable data-testid for the end-to-end tests.
 */
import type { LoadReport } from '../../common/load';
import type { EngineSnapshot } from '../../common/snapshot';
import { fmt, h } from '../dom';

interface Tile {
  root: HTMLElement;
  value: HTMLElement;
  detail: HTMLElement;
}

function tile(testid: string, label: string, unit: string): Tile {
  const value = h('span', { class: 'kpi-value', testid }, '—');
  const detail = h('div', { class: 'kpi-detail', testid: `${testid}-detail` }, '');
  const root = h(
    'div',
    { class: 'kpi' },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-main' }, value, h('span', { class: 'kpi-unit' }, unit)),
    detail,
  );
  return { root, value, detail };
}

export class Readouts {
  readonly root: HTMLElement;
  private readonly conn = tile('conn-total', 'Connections', 'open');
  private readonly p99 = tile('loop-p99', 'Event-loop delay p99', 'ms');
  private readonly util = tile('loop-util', 'Loop utilization', '%');
  private readonly queue = tile('queue-depth', 'Queue depth', 'jobs');
  private readonly msgs = tile('throughput', 'WebSocket msgs', '/s');
  private readonly rtt = tile('rtt-p99', 'Client RTT p99', 'ms');
  private readonly integrity = tile('integrity-total', 'Integrity issues', '');
  private readonly gen = tile('generator-cpu', 'Load generator CPU', '%');

  constructor() {
    this.root = h(
      'section',
      { class: 'kpis', testid: 'kpis', 'aria-label': 'Key readouts' },
      ...[this.conn, this.p99, this.util, this.queue, this.msgs, this.rtt, this.integrity, this.gen].map(
        (t) => t.root,
      ),
    );
  }

  update(s: EngineSnapshot | null, r: LoadReport | null): void {
    if (s) {
      const c = s.connections;
      this.conn.value.textContent = fmt(c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http);
      this.conn.detail.textContent = `prime ${fmt(c.wsPrime)} · feed ${fmt(c.wsFeed)} · sse ${fmt(c.sse)} · poll ${fmt(c.longPoll)} · http ${fmt(c.http)}`;
      this.p99.value.textContent = fmt(s.eventLoop.p99Ms, 1);
      this.p99.detail.textContent = `p50 ${fmt(s.eventLoop.p50Ms, 1)} · max ${fmt(s.eventLoop.maxMs, 1)}`;
      this.p99.root.classList.toggle('hot', s.eventLoop.p99Ms >= 50);
      this.util.value.textContent = fmt(s.eventLoop.utilization * 100, 0);
      this.util.detail.textContent = `server CPU ${fmt(s.cpu.percent, 0)}% · RSS ${fmt(s.memory.rssBytes / 2 ** 20)} MB`;
      this.queue.value.textContent = fmt(s.queue.depth);
      this.queue.detail.textContent = `busy ${fmt(s.queue.busy)}/${fmt(s.queue.workers)} · done ${fmt(s.rates.jobsDonePerS)}/s`;
      this.msgs.value.textContent = fmt(s.rates.wsInPerS + s.rates.wsOutPerS);
      this.msgs.detail.textContent = `in ${fmt(s.rates.wsInPerS)} · out ${fmt(s.rates.wsOutPerS)} · http ${fmt(s.rates.httpPerS)}/s`;
    }
    if (r) {
      const kinds = Object.values(r.kinds);
      const measured = kinds.filter((k) => k.rtt.count > 0);
      this.rtt.value.textContent = measured.length
        ? fmt(Math.max(...measured.map((k) => k.rtt.p99Ms)), 1)
        : '—';
      this.rtt.detail.textContent = `${fmt(kinds.reduce((t, k) => t + k.active, 0))} simulated clients`;
      const issues = kinds.reduce(
        (t, k) =>
          t +
          k.integrity.wrong +
          k.integrity.missing +
          k.integrity.duplicated +
          k.integrity.outOfOrder +
          k.integrity.expiredLost,
        0,
      );
      this.integrity.value.textContent = fmt(issues);
      this.integrity.detail.textContent =
        issues === 0 ? 'every answer right, every message once' : 'see Integrity';
      this.integrity.root.classList.toggle('good', issues === 0);
      this.integrity.root.classList.toggle('bad', issues > 0);
      this.gen.value.textContent = fmt(r.generator.cpuPercent, 0);
      this.gen.detail.textContent =
        r.generator.warning ?? `loop p99 ${fmt(r.generator.eventLoopP99Ms, 1)} ms`;
      this.gen.root.classList.toggle('warn', r.generator.warning !== null);
    }
  }
}
