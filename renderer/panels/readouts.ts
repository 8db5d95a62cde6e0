/**
 * The headline numbers across the top: the latest snapshot and load report, refreshed once per
 * frame at most. Each value carries a stable data-testid for the end-to-end tests.
 *
 * Beside each current value, the worst of the visible window (the rows the charts draw), so a
 * spike a few seconds ago is still on screen after the figure has calmed. Client figures are read
 * from the same rows as the charts, so a readout and its chart always agree.
 */
import type { LoadReport } from '../../common/load';
import type { EngineSnapshot } from '../../common/snapshot';
import { CLIENT_KINDS } from '../../common/load';
import { fmt, h, plural, setText, setTitle } from '../dom';
import type { SampleColumn, SampleStore } from '../state/samples';
import { activeSpawned } from './load-controls';

export interface Tile {
  root: HTMLElement;
  value: HTMLElement;
  worst: HTMLElement;
  detail: HTMLElement;
}

/** Where a tile's figure comes from: greyed when that source goes quiet (see state/freshness.ts). */
type Source = 'server' | 'clients';

export function tile(
  testid: string,
  label: string,
  unit: string,
  hint: string,
  source: Source = 'server',
): Tile {
  const value = h('span', { class: 'kpi-value', testid }, '—');
  const worst = h('span', { class: 'kpi-worst', testid: `${testid}-worst` }, '');
  const detail = h('div', { class: 'kpi-detail', testid: `${testid}-detail` }, '');
  const root = h(
    'div',
    { class: 'kpi', title: hint, 'data-source': source },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-main' }, value, h('span', { class: 'kpi-unit' }, unit), worst),
    detail,
  );
  return { root, value, worst, detail };
}

/** A tile's worst (or peak) figure over the visible window, `v` NaN when there is none. */
export function showWorst(t: Tile, v: number, digits: number, word: string, windowMs: number): void {
  setText(t.worst, Number.isFinite(v) ? `${word} ${fmt(v, digits)}` : '');
  // The figure too: a narrow tile cuts it off, and the hover text must still give it whole.
  const figure = Number.isFinite(v) ? `: ${fmt(v, digits)}` : '';
  setTitle(t.worst, `The ${word} over the visible ${windowLabel(windowMs)}${figure}`);
}

/** "1 min", "15 min": the window the charts show. */
export function windowLabel(windowMs: number): string {
  return `${Math.round(windowMs / 60_000)} min`;
}

export class Readouts {
  readonly root: HTMLElement;
  private readonly conn = tile(
    'conn-total',
    'Connections',
    'open',
    'Connections the demo server holds, by kind: WebSockets, SSE and long-poll streams, HTTP requests in ' +
      'progress. "idle" counts its other open sockets (keep-alive between requests, a request not yet ' +
      'read): with them, the total is what /stats sockets.open and `ss` count.',
  );
  private readonly p99 = tile(
    'loop-p99',
    'Event-loop delay p99',
    'ms',
    'Server event-loop delay, last sample',
  );
  private readonly util = tile(
    'loop-util',
    'Loop utilization',
    '%',
    'Share of time the server loop was busy',
  );
  private readonly queue = tile('queue-depth', 'Queue depth', 'jobs', 'Jobs waiting in the queue');
  private readonly msgs = tile(
    'throughput',
    'WebSocket msgs',
    '/s',
    'WebSocket messages in + out per second',
  );
  private readonly rtt = tile(
    'rtt-p99',
    'Client RTT p99',
    'ms',
    'Round trip the simulated clients measured (worst kind), from when each request was due',
    'clients',
  );
  private readonly integrity = tile(
    'integrity-total',
    'Integrity issues',
    '',
    'Wrong answers, missing, duplicated, out-of-order and expired feed messages since the start',
    'clients',
  );
  private readonly gen = tile(
    'generator-cpu',
    'Load generator CPU',
    '%',
    'CPU of the load generator process',
    'clients',
  );

  /** The demo server's own timing of the requests it answered, whoever sent them. */
  private readonly served = h(
    'div',
    { class: 'kpi-detail', testid: 'served-p99', 'data-source': 'server' },
    '',
  );
  /** Whose figures these are: said outright while another process's fill the charts below. */
  private readonly caption = h('div', { class: 'kpis-caption', testid: 'kpis-caption', hidden: true }, '');

  constructor() {
    this.rtt.root.append(this.served);
    this.root = h(
      'section',
      { class: 'kpis', testid: 'kpis', 'aria-label': 'Key readouts: the demo server and its clients' },
      this.caption,
      ...[this.conn, this.p99, this.util, this.queue, this.msgs, this.rtt, this.integrity, this.gen].map(
        (t) => t.root,
      ),
    );
  }

  /** A line over the tiles (null: none), e.g. while a watched process fills the charts. */
  setCaption(text: string | null): void {
    this.caption.hidden = text === null;
    setText(this.caption, text ?? '');
  }

  update(s: EngineSnapshot | null, r: LoadReport | null, store: SampleStore, windowMs: number): void {
    const worst = (t: Tile, column: SampleColumn, digits = 0, scale = 1, word = 'worst'): void =>
      showWorst(t, store.worst(column, windowMs) * scale, digits, word, windowMs);
    if (s) {
      // Which snapshot the tiles show: a test compares them with the server's /stats of that time.
      this.root.dataset.snapshotTime = String(s.time);
      const c = s.connections;
      const counted = c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http;
      setText(this.conn.value, fmt(counted));
      worst(this.conn, 'conn_total', 0, 1, 'peak');
      // Sockets the kinds do not count, so the tile adds up to what `ss` shows.
      const idle = Math.max(0, s.sockets.open - counted);
      this.conn.value.dataset.socketsOpen = String(s.sockets.open);
      setText(
        this.conn.detail,
        `prime ${fmt(c.wsPrime)} · feed ${fmt(c.wsFeed)} · sse ${fmt(c.sse)} · poll ${fmt(c.longPoll)} · http ${fmt(c.http)} · idle ${fmt(idle)}`,
      );
      setText(this.p99.value, fmt(s.eventLoop.p99Ms, 1));
      worst(this.p99, 'loop_p99_ms', 1);
      setText(this.p99.detail, `p50 ${fmt(s.eventLoop.p50Ms, 1)} · max ${fmt(s.eventLoop.maxMs, 1)}`);
      this.p99.root.classList.toggle('hot', s.eventLoop.p99Ms >= 50);
      setText(this.util.value, fmt(s.eventLoop.utilization * 100, 0));
      worst(this.util, 'loop_utilization', 0, 100);
      setText(
        this.util.detail,
        `server CPU ${fmt(s.cpu.percent, 0)}% · RSS ${fmt(s.memory.rssBytes / 2 ** 20)} MB`,
      );
      setText(this.queue.value, fmt(s.queue.depth));
      worst(this.queue, 'queue_depth');
      setText(
        this.queue.detail,
        `busy ${fmt(s.queue.busy)}/${fmt(s.queue.workers)} · done ${fmt(s.rates.jobsDonePerS)}/s`,
      );
      setText(this.msgs.value, fmt(s.rates.wsInPerS + s.rates.wsOutPerS));
      worst(this.msgs, 'ws_out_per_s', 0, 1, 'peak out');
      setText(
        this.msgs.detail,
        `in ${fmt(s.rates.wsInPerS)} · out ${fmt(s.rates.wsOutPerS)} · http ${fmt(s.rates.httpPerS)}/s`,
      );
      // What every client of the demo server felt, timed inside it (docs/protocol.md §8): beside
      // the simulated clients' own figure, and the only one when its clients are someone else's.
      const served = s.requests?.count ? `served p99 ${fmt(s.requests.p99Ms, 1)} ms` : 'no request served';
      setText(this.served, served);
      setTitle(
        this.served,
        s.requests?.routes.length
          ? s.requests.routes
              .map((r) => `${r.route}: ${fmt(r.count)} req, p99 ${fmt(r.p99Ms, 1)} ms`)
              .join('\n')
          : 'HTTP requests the demo server answered in the last sample, timed inside it',
      );
    }
    if (r) {
      // The newest sample row: the same figure the Client round trip chart ends on.
      setText(this.rtt.value, fmt(store.latest('rtt_p99_ms'), 1));
      worst(this.rtt, 'rtt_p99_ms', 1);
      // Counted as the clients table counts them: the publish-rate sender is no spawned client.
      const spawned = CLIENT_KINDS.reduce((t, kind) => t + activeSpawned(r, kind), 0);
      setText(this.rtt.detail, plural(spawned, 'simulated client'));
      const kinds = Object.values(r.kinds);
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
      setText(this.integrity.value, fmt(issues));
      setText(
        this.integrity.detail,
        issues === 0 ? 'every answer right, every message once' : 'see Integrity',
      );
      this.integrity.root.classList.toggle('good', issues === 0);
      this.integrity.root.classList.toggle('bad', issues > 0);
      setText(this.gen.value, fmt(r.generator.cpuPercent, 0));
      worst(this.gen, 'generator_cpu_percent');
      setText(this.gen.detail, r.generator.warning ?? `loop p99 ${fmt(r.generator.eventLoopP99Ms, 1)} ms`);
      setTitle(this.gen.detail, this.gen.detail.textContent);
      this.gen.root.classList.toggle('warn', r.generator.warning !== null);
    }
    for (const t of [this.conn, this.p99, this.util, this.queue, this.msgs, this.rtt, this.gen]) {
      // Truncated details can still be read whole on hover.
      setTitle(t.detail, t.detail.textContent);
    }
  }
}
