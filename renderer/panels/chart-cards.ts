/**
 * The grid of live charts. Each card has a PNG export; the feed-delivery card also shows the three
 * transports' p50/p99 side by side, read from the newest sample row (what the chart ends on) with
 * the worst p99 of the visible window beside it.
 */
import type { BcryptRun } from '../charts/bcrypt-markers';
import type { EpisodeBand } from '../charts/episode-bands';
import { CHART_SPECS } from '../charts/specs';
import { TimeChart } from '../charts/time-chart';
import { fmt, h, setText, setTitle } from '../dom';
import type { ProcessFigures } from '../../common/snapshot';
import type { Tenure } from '../state/process-slots';
import type { SampleColumn, SampleStore } from '../state/samples';
import { downloadDataUrl, stamp } from './export';
import { windowLabel } from './readouts';

const MAX_BCRYPT_RUNS = 100;

const TRANSPORTS = [
  ['long-poll', 'Long poll', 'delivery_long_poll_p50_ms', 'delivery_long_poll_p99_ms'],
  ['ws-feed', 'WebSocket', 'delivery_ws_feed_p50_ms', 'delivery_ws_feed_p99_ms'],
  ['sse', 'SSE', 'delivery_sse_p50_ms', 'delivery_sse_p99_ms'],
] as const satisfies readonly (readonly [string, string, SampleColumn, SampleColumn])[];

export class ChartCards {
  readonly cards: HTMLElement[] = [];
  readonly charts: TimeChart[] = [];
  private readonly hints = new Map<TimeChart, HTMLElement>();
  private readonly delivery = new Map<string, { value: HTMLElement; worst: HTMLElement }>();
  /** The per-process cards (docs/protocol.md §10), shown only while several server processes run. */
  private readonly perProcess: { card: HTMLElement; chart: TimeChart }[] = [];
  private readonly processTiles = h('div', { class: 'side-by-side', testid: 'process-tiles' });
  /**
   * Charts on screen are drawn with each sample; the others only when scrolled into view, with
   * what they would have drawn last (most of the dashboard's main-thread time was drawing).
   */
  private readonly onScreen = new Set<TimeChart>();
  private readonly behind = new Set<TimeChart>();
  private drawn: { store: SampleStore; windowMs: number } | null = null;
  private paused = false;
  private readonly observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const chart = this.byCard.get(entry.target);
      if (!chart) continue;
      if (!entry.isIntersecting) {
        this.onScreen.delete(chart);
        continue;
      }
      this.onScreen.add(chart);
      if (this.behind.has(chart) && !this.paused) this.draw(chart);
    }
  });
  private readonly byCard = new Map<Element, TimeChart>();

  constructor() {
    for (const spec of CHART_SPECS) {
      const canvas = h('canvas', { 'aria-label': spec.title, role: 'img' });
      const png = h(
        'button',
        {
          class: 'btn ghost small',
          testid: `png-${spec.id}`,
          title: 'Save as PNG',
          'aria-label': `Save ${spec.title.charAt(0).toLowerCase()}${spec.title.slice(1)} chart as PNG`,
        },
        'PNG',
      );
      const extra =
        spec.id === 'delivery' ? this.deliveryTiles() : spec.id === 'process-loop' ? this.processTiles : null;
      const hint = h(
        'div',
        { class: 'chart-hint', testid: `hint-${spec.id}`, hidden: true },
        spec.emptyHint ?? '',
      );
      const card = h(
        'section',
        // The client charts go stale when the generator does, the others when the server does.
        { class: 'card', testid: `chart-${spec.id}`, 'data-source': spec.source ?? 'server' },
        h('header', {}, h('h3', {}, spec.title), png),
        extra,
        h('div', { class: 'chart-box' }, canvas, hint),
      );
      const chart = new TimeChart(spec, canvas);
      if (spec.emptyHint) this.hints.set(chart, hint);
      png.addEventListener('click', () => {
        if (this.behind.has(chart) && !this.paused) this.draw(chart);
        downloadDataUrl(`loopscope-${spec.id}-${stamp()}.png`, chart.toPng(spec.title));
      });
      this.cards.push(card);
      this.charts.push(chart);
      if (spec.perProcess) {
        card.hidden = true;
        this.perProcess.push({ card, chart });
      }
      this.byCard.set(card, chart);
      this.observer.observe(card);
    }
  }

  /**
   * One line per server process on the per-process charts, labelled by worker id and pid (a dead
   * worker's line stays, dotted, to where it ended), and one tile per process (its loop p99 and connections now); the cards hide with a single process.
   */
  showProcesses(tenures: readonly Tenure[], figures: readonly ProcessFigures[]): void {
    const several = figures.length > 1;
    const running = tenures.filter((t) => t.to === null).length;
    for (const { card, chart } of this.perProcess) {
      card.hidden = !several;
      chart.setTenures(tenures);
      card.dataset.lines = String(several ? running : 0);
    }
    if (!several) {
      this.processTiles.replaceChildren();
      return;
    }
    this.processTiles.replaceChildren(
      ...figures.map((p) => {
        const c = p.connections;
        const open = c.wsPrime + c.wsFeed + c.sse + c.longPoll + c.http;
        return h(
          'div',
          {
            class: 'transport',
            testid: `process-${p.id}`,
            'data-pid': String(p.pid),
            'data-connections': String(open),
          },
          h('div', { class: 'muted' }, `worker ${p.id} · pid ${p.pid}`),
          h('span', {}, `${fmt(p.eventLoop.p99Ms, 1)} ms p99 · ${open} conn`),
        );
      }),
    );
  }

  private deliveryTiles(): HTMLElement {
    return h(
      'div',
      { class: 'side-by-side' },
      ...TRANSPORTS.map(([kind, label]) => {
        const value = h('span', { testid: `delivery-${kind}`, title: 'p50 / p99, newest sample' }, '—');
        const worst = h('div', { class: 'muted small', testid: `delivery-${kind}-worst` }, '');
        this.delivery.set(kind, { value, worst });
        return h('div', { class: `transport ${kind}` }, h('div', { class: 'muted' }, label), value, worst);
      }),
    );
  }

  /** Keeps the last runs this page started; older ones are off every window by then. */
  private readonly bcryptRuns: BcryptRun[] = [];

  /** The runs this page started, oldest first (the session export carries them). */
  get runs(): readonly BcryptRun[] {
    return this.bcryptRuns;
  }

  /** The runs a replayed recording's markers stand for, in place of this page's own. */
  setBcryptRuns(runs: readonly BcryptRun[]): void {
    this.bcryptRuns.length = 0;
    this.bcryptRuns.push(...runs);
    for (const chart of this.charts) if (chart.spec.markColumn) chart.setBcryptRuns(this.bcryptRuns);
  }

  addBcryptRun(run: BcryptRun): void {
    this.bcryptRuns.push(run);
    if (this.bcryptRuns.length > MAX_BCRYPT_RUNS) this.bcryptRuns.shift();
    for (const chart of this.charts) if (chart.spec.markColumn) chart.setBcryptRuns(this.bcryptRuns);
  }

  setEpisodes(bands: readonly EpisodeBand[]): void {
    for (const chart of this.charts) if (chart.spec.episodeBands) chart.setEpisodes(bands);
  }

  setStallTimes(times: readonly number[]): void {
    for (const chart of this.charts) if (chart.spec.stallMarks) chart.setStallTimes(times);
  }

  /** While paused, a chart scrolled into view keeps what it showed at the pause. */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  redraw(store: SampleStore, windowMs: number): void {
    this.drawn = { store, windowMs };
    for (const chart of this.charts) {
      if (this.onScreen.has(chart)) this.draw(chart);
      else this.behind.add(chart);
    }
  }

  private draw(chart: TimeChart): void {
    this.behind.delete(chart);
    if (!this.drawn) return;
    const drawn = chart.update(this.drawn.store.ring, this.drawn.windowMs);
    const hint = this.hints.get(chart);
    if (hint && hint.hidden !== drawn) hint.hidden = drawn;
  }

  /** The delivery tiles: the same rows the delivery chart draws, so the two never disagree. */
  updateReadouts(store: SampleStore, windowMs: number): void {
    for (const [kind, , p50Column, p99Column] of TRANSPORTS) {
      const el = this.delivery.get(kind);
      if (!el) continue;
      const p50 = store.latest(p50Column);
      const p99 = store.latest(p99Column);
      setText(el.value, Number.isFinite(p99) ? `${fmt(p50, 1)} / ${fmt(p99, 1)} ms` : '—');
      const worst = store.worst(p99Column, windowMs);
      setText(el.worst, Number.isFinite(worst) ? `worst p99 ${fmt(worst, 1)} ms` : '');
      setTitle(el.worst, `The worst p99 over the visible ${windowLabel(windowMs)}`);
    }
  }
}
