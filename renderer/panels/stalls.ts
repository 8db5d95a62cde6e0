/**
 * The Stalls panel: what blocked the demo server's loop. A list of the latest stalls (when, how
 * long, the function and line that held the loop), one stall's whole stack and `hot` on click
 * (copyable as text), the "top blockers" of the session by function, and the stall threshold.
 *
 * Everything here is bounded: the list keeps STALL_LIST_MAX stalls, the blockers table
 * BLOCKERS_MAX functions, and the panel redraws only when a snapshot brought new stalls.
 */
import type { Stall, StallWindow } from '../../common/stalls';
import { culpritFrame, frameText, stackText } from '../../common/stalls';
import { STALL_LIST_MAX, STALL_THRESHOLD_MS } from '../../common/limits';
import { fmt, h, numberInput, readNumber, setText } from '../dom';
import type { PanelContext } from './context';

/** Distinct functions the top-blockers table remembers; the smallest totals give way first. */
const BLOCKERS_MAX = 50;
const BLOCKERS_SHOWN = 8;

interface Blocker {
  name: string;
  count: number;
  totalMs: number;
  worstMs: number;
}

/** One formatter for every row (toLocaleTimeString builds a new one per call). */
const clockFormat = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const clock = (epochMs: number): string => clockFormat.format(epochMs);

export class StallsPanel {
  readonly root: HTMLElement;
  private readonly stalls: Stall[] = [];
  private readonly blockers = new Map<string, Blocker>();
  private readonly list = h('ol', { class: 'stall-list', testid: 'stalls-list' });
  private readonly table = h('tbody', { testid: 'stall-blockers' });
  private readonly summary = h('span', { class: 'muted', testid: 'stalls-summary' }, 'no stalls yet');
  private readonly detail = h('pre', { class: 'stall-detail', testid: 'stall-detail' }, '');
  private readonly copy = h(
    'button',
    { class: 'btn ghost small', testid: 'stall-copy', disabled: true },
    'Copy stack',
  );
  private readonly threshold = numberInput(
    'stall-threshold',
    STALL_THRESHOLD_MS.default!,
    STALL_THRESHOLD_MS,
  );
  private thresholdTouched = false;
  private selected: Stall | null = null;

  constructor(private readonly ctx: PanelContext) {
    const apply = h('button', { class: 'btn small', testid: 'stall-threshold-apply' }, 'Set');
    this.threshold.addEventListener('input', () => (this.thresholdTouched = true));
    apply.addEventListener('click', async () => {
      const r = await ctx.act(apply, () =>
        ctx.api.invoke('setStallThreshold', { thresholdMs: readNumber(this.threshold) }),
      );
      if (r) {
        this.thresholdTouched = false;
        this.threshold.value = String(r.thresholdMs);
      }
    });
    this.copy.addEventListener('click', () => {
      if (!this.selected) return;
      const text = stackText(this.selected);
      navigator.clipboard.writeText(text).then(
        () => ctx.notify('info', 'stack copied'),
        // No clipboard (an insecure origin, a denied permission): select it for Ctrl-C instead.
        () => window.getSelection()?.selectAllChildren(this.detail),
      );
    });
    this.root = h(
      'section',
      { class: 'card wide stalls', testid: 'stalls-panel', 'aria-label': 'Stalls' },
      h(
        'div',
        {},
        h(
          'header',
          {},
          h('h3', {}, 'Stalls: what blocked the loop'),
          h('label', { class: 'muted' }, 'threshold ', this.threshold, ' ms'),
          apply,
        ),
        this.summary,
        this.list,
      ),
      h(
        'div',
        {},
        h('header', {}, h('h3', {}, 'Top blockers'), this.copy),
        h(
          'table',
          { class: 'blockers' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'function'),
              h('th', {}, 'count'),
              h('th', {}, 'total ms'),
              h('th', {}, 'worst ms'),
            ),
          ),
          this.table,
        ),
        this.detail,
      ),
    );
  }

  /** Start times of the stalls held, for the event-loop chart's marks. */
  times(): number[] {
    return this.stalls.map((s) => s.startedAt);
  }

  /** Takes one stall pushed as it was listed; true when it was new. */
  add(stall: Stall): boolean {
    if (stall.id <= (this.stalls.at(-1)?.id ?? 0)) return false;
    this.stalls.push(stall);
    this.count(stall);
    this.stalls.splice(0, Math.max(0, this.stalls.length - STALL_LIST_MAX));
    this.render();
    return true;
  }

  /** Takes a snapshot's stall window; true when it brought new stalls. */
  update(window: StallWindow | undefined): boolean {
    if (!window) return false;
    if (!this.thresholdTouched && document.activeElement !== this.threshold) {
      this.threshold.value = String(window.thresholdMs);
    }
    setText(
      this.summary,
      window.count === 0
        ? `no stalls over ${window.thresholdMs} ms yet`
        : `${fmt(window.count)} stalls, ${fmt(window.totalMs, 0)} ms in all, worst ${fmt(window.maxMs, 0)} ms`,
    );
    const known = this.stalls.at(-1)?.id ?? 0;
    const fresh = window.recent.filter((s) => s.id > known);
    if (fresh.length === 0) return false;
    for (const stall of fresh) {
      this.stalls.push(stall);
      this.count(stall);
    }
    this.stalls.splice(0, Math.max(0, this.stalls.length - STALL_LIST_MAX));
    this.render();
    return true;
  }

  private count(stall: Stall): void {
    const name = frameText(culpritFrame(stall));
    const b = this.blockers.get(name) ?? { name, count: 0, totalMs: 0, worstMs: 0 };
    b.count++;
    b.totalMs += stall.durationMs;
    b.worstMs = Math.max(b.worstMs, stall.durationMs);
    this.blockers.set(name, b);
    if (this.blockers.size > BLOCKERS_MAX) {
      const smallest = [...this.blockers.values()].reduce((a, c) => (c.totalMs < a.totalMs ? c : a));
      this.blockers.delete(smallest.name);
    }
  }

  /** The list's rows by stall: a new stall adds one row and an old one leaves, the rest stay. */
  private readonly rows = new Map<Stall, HTMLElement>();
  /** What the blockers table shows, so an unchanged table is not rebuilt. */
  private blockersShown = '';

  private row(stall: Stall): HTMLElement {
    const row = h(
      'li',
      { class: 'stall-row', testid: 'stall-row', tabindex: 0 },
      h('span', { class: 'muted' }, clock(stall.startedAt)),
      h('span', { class: 'n' }, `${fmt(stall.durationMs, 0)} ms`),
      h('code', { testid: 'stall-frame' }, frameText(culpritFrame(stall))),
      h('span', { class: 'muted' }, stall.stackFrom),
    );
    row.addEventListener('click', () => this.select(stall));
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.select(stall);
    });
    return row;
  }

  private render(): void {
    const held = new Set(this.stalls);
    for (const [stall, row] of this.rows) {
      if (held.has(stall)) continue;
      row.remove();
      this.rows.delete(stall);
    }
    // Newest first: each stall not shown yet goes on top, in order.
    for (const stall of this.stalls) {
      if (this.rows.has(stall)) continue;
      const row = this.row(stall);
      this.rows.set(stall, row);
      this.list.prepend(row);
    }
    const top = [...this.blockers.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, BLOCKERS_SHOWN);
    const shown = top
      .map((b) => `${b.name} ${b.count} ${b.totalMs.toFixed(0)} ${b.worstMs.toFixed(0)}`)
      .join('\n');
    if (shown === this.blockersShown) return;
    this.blockersShown = shown;
    this.table.replaceChildren(
      ...top.map((b) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, b.name)),
          h('td', { class: 'n' }, fmt(b.count)),
          h('td', { class: 'n' }, fmt(b.totalMs, 0)),
          h('td', { class: 'n' }, fmt(b.worstMs, 0)),
        ),
      ),
    );
  }

  private select(stall: Stall): void {
    this.selected = stall;
    this.detail.textContent = stackText(stall);
    this.copy.disabled = false;
    for (const [s, row] of this.rows) row.classList.toggle('on', s === stall);
  }
}
