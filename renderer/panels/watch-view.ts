/**
 * What the dashboard shows while a process is watched: a banner naming it with a Detach button,
 * its charts (loop delay and utilization, open handles, heap) and its own Stalls panel, in place of
 * the demo server's. Detach, or the process exiting, brings the demo server's view back.
 */
import type { AttachSample, WatchState } from '../../common/attach';
import type { RequestStats } from '../../common/snapshot';
import type { Diagnosis } from '../../common/diagnosis';
import type { Stall } from '../../common/stalls';
import { WATCH_CHART_SPECS } from '../charts/watch-specs';
import { TimeChart } from '../charts/time-chart';
import { fmt, h, setText } from '../dom';
import { WatchStore, type WatchColumn } from '../state/watch-samples';
import type { PanelContext } from './context';
import { showWorst, tile, type Tile } from './readouts';
import { StallsPanel } from './stalls';
import { WhyPanel } from './why-wait';

export class WatchView {
  /** The banner, above the grid. */
  readonly banner: HTMLElement;
  /** The watched process's own headline figures, from its newest sample, under the banner. */
  readonly tiles: HTMLElement;
  private readonly loop = tile(
    'watch-loop-p99',
    'Event-loop delay p99',
    'ms',
    "The watched process's loop, last sample",
  );
  private readonly util = tile(
    'watch-loop-util',
    'Loop utilization',
    '%',
    "Share of time the watched process's loop was busy",
  );
  private readonly heap = tile('watch-heap', 'Heap used', 'MB', "The watched process's V8 heap in use");
  private readonly served = tile(
    'watch-requests-p99',
    'Requests p99',
    'ms',
    "The watched process's HTTP requests, timed inside it from arrival to the end of the response, whoever the client",
  );
  private readonly tcp = tile(
    'watch-tcp',
    'Connections',
    'open',
    "The watched process's open TCP sockets (its connections)",
  );
  /** Chart cards, the Stalls panel and the "Why clients wait" panel, in the grid. */
  readonly cards: HTMLElement[] = [];
  readonly stalls: StallsPanel;
  readonly why: WhyPanel;
  private readonly charts: TimeChart<WatchColumn>[] = [];
  private readonly store = new WatchStore();
  private readonly title = h('strong', { testid: 'watch-title' }, '');
  private readonly detail = h('span', { class: 'muted' }, '');
  private readonly detachButton = h(
    'button',
    { class: 'btn warn small', testid: 'watch-detach', 'aria-label': 'Detach and return to the demo server' },
    'Detach',
  );
  private state: WatchState | null = null;

  constructor(
    private readonly ctx: PanelContext,
    onDetached: () => void,
  ) {
    this.detachButton.addEventListener('click', async () => {
      const r = await ctx.act(this.detachButton, () => ctx.api.invoke('unwatchProcess', {}));
      if (r) onDetached();
    });
    this.banner = h(
      'div',
      { class: 'watch-banner', testid: 'watch-banner', role: 'status', 'aria-live': 'polite', hidden: true },
      this.title,
      this.detail,
      h('div', { class: 'spacer' }),
      // Disabled as one with every control that needs the app, while it is gone (main.ts).
      h('fieldset', { class: 'needs-app inline' }, this.detachButton),
    );
    this.tiles = h(
      'section',
      {
        class: 'kpis watch-kpis',
        testid: 'watch-kpis',
        'aria-label': 'Key readouts: the watched process',
        hidden: true,
      },
      ...this.allTiles().map((t) => t.root),
    );
    for (const spec of WATCH_CHART_SPECS) {
      const canvas = h('canvas', { 'aria-label': spec.title, role: 'img' });
      const card = h(
        'section',
        { class: 'card', testid: `chart-${spec.id}`, hidden: true },
        h('header', {}, h('h3', {}, spec.title)),
        h('div', { class: 'chart-box' }, canvas),
      );
      this.charts.push(new TimeChart(spec, canvas));
      this.cards.push(card);
    }
    this.stalls = new StallsPanel(ctx, {
      testidPrefix: 'watch-',
      title: 'Stalls of the watched process',
      thresholdEditable: false,
      // Its samples are kept by the app's watch, by the pid the stall came from.
      profileOf: (stall) => (this.state ? { source: 'watch', pid: this.state.pid, id: stall.id } : null),
    });
    this.stalls.root.hidden = true;
    this.cards.push(this.stalls.root);
    this.why = new WhyPanel(ctx, {
      testidPrefix: 'watch-',
      title: 'Why clients of the watched process wait',
      snapshotOf: () => (this.state ? { source: 'watch', pid: this.state.pid } : null),
    });
    this.why.root.hidden = true;
    this.cards.push(this.why.root);
  }

  get watching(): WatchState | null {
    return this.state;
  }

  /** A new process is watched: its own charts and stalls, from empty. */
  show(state: WatchState): void {
    if (this.state?.pid === state.pid) return;
    this.state = state;
    this.store.clear();
    this.clearTiles();
    this.stalls.clear();
    this.stalls.showThreshold(state.stallThresholdMs);
    this.why.clear();
    this.setEpisodes();
    this.title.textContent = `Watching pid ${state.pid} (${state.command})`;
    this.detail.textContent =
      `node ${state.nodeVersion}, inspector ${state.inspector}` +
      (state.openedInspector ? ' (opened by attach, closed on detach)' : '');
    this.setVisible(true);
  }

  hide(): void {
    this.state = null;
    this.setVisible(false);
    // A hidden tile keeps no figure of a process no longer watched.
    this.clearTiles();
  }

  private allTiles(): Tile[] {
    return [this.loop, this.util, this.heap, this.served, this.tcp];
  }

  private clearTiles(): void {
    for (const t of this.allTiles()) {
      setText(t.value, '—');
      setText(t.worst, '');
      setText(t.detail, '');
    }
  }

  /** The newest sample's requests: the tile names their busiest route. */
  private lastRequests: RequestStats | null = null;

  private busiestRoute(): string {
    const r = this.lastRequests;
    if (!r || r.count === 0) return 'no request in the last second';
    const top = r.routes[0];
    return `${fmt(r.count)} req · ${top ? `${top.route} p99 ${fmt(top.p99Ms, 1)}` : ''}`;
  }

  addSample(sample: AttachSample): void {
    this.lastRequests = sample.requests ?? null;
    this.store.add(sample);
    // An ongoing episode's "so far" moves on with each sample.
    this.why.take(undefined);
  }

  /** An episode opened or closed (the attach stream's `diagnosis` line). */
  addDiagnosis(diagnosis: Diagnosis): void {
    if (this.why.take([diagnosis])) this.setEpisodes();
  }

  private setEpisodes(): void {
    for (const chart of this.charts) if (chart.spec.episodeBands) chart.setEpisodes(this.why.bands());
  }

  /** True when the stall was new (the event-loop chart marks it). */
  addStall(stall: Stall): boolean {
    if (!this.stalls.add(stall)) return false;
    for (const chart of this.charts) if (chart.spec.stallMarks) chart.setStallTimes(this.stalls.times());
    return true;
  }

  redraw(windowMs: number): void {
    if (!this.state) return;
    for (const chart of this.charts) chart.update(this.store.ring, windowMs);
    this.updateTiles(windowMs);
  }

  /** The newest sample, and beside it the worst of the visible window, as the demo server's tiles. */
  private updateTiles(windowMs: number): void {
    const latest = (column: WatchColumn): number => this.store.latest(column);
    const show = (
      t: Tile,
      column: WatchColumn,
      digits: number,
      scale: number,
      word: string,
      detail: string,
    ): void => {
      setText(t.value, fmt(latest(column) * scale, digits));
      showWorst(t, this.store.worst(column, windowMs) * scale, digits, word, windowMs);
      setText(t.detail, detail);
    };
    show(
      this.loop,
      'loop_p99_ms',
      1,
      1,
      'worst',
      `p50 ${fmt(latest('loop_p50_ms'), 1)} · max ${fmt(latest('loop_max_ms'), 1)}`,
    );
    this.loop.root.classList.toggle('hot', latest('loop_p99_ms') >= 50);
    show(this.util, 'loop_utilization', 0, 100, 'worst', `pid ${this.state?.pid ?? ''}`);
    show(this.heap, 'heap_used_mb', 1, 1, 'peak', '');
    show(this.served, 'requests_p99_ms', 1, 1, 'worst', this.busiestRoute());
    show(
      this.tcp,
      'handles_tcp',
      0,
      1,
      'peak',
      `listening ${fmt(latest('handles_server'))} · timers ${fmt(latest('handles_timer'))}`,
    );
  }

  private setVisible(on: boolean): void {
    this.banner.hidden = !on;
    this.tiles.hidden = !on;
    for (const card of this.cards) card.hidden = !on;
  }
}
