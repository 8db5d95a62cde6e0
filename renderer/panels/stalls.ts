/**
 * The Stalls panel: what blocked the demo server's loop. A list of the latest stalls (when, how
 * long, the function and line that held the loop), one stall's whole stack and `hot` on click
 * (copyable as text) with its flame graph and its CPU samples as a `.cpuprofile` to download, the
 * "top blockers" of the session by function, and the stall threshold.
 *
 * Everything here is bounded: the list keeps STALL_LIST_MAX stalls, the blockers table
 * BLOCKERS_MAX functions, and the panel redraws only when a snapshot brought new stalls.
 */
import type { CommandPayload } from '../../common/api';
import { profileFilename, type CpuProfile } from '../../common/cpuprofile';
import type { Stall, StallWindow } from '../../common/stalls';
import { culpritFrame, frameText, stackText } from '../../common/stalls';
import { STALL_LIST_MAX, STALL_THRESHOLD_MS } from '../../common/limits';
import { FlameGraph } from '../charts/flame';
import { fmt, h, plural, setText } from '../dom';
import type { PanelContext } from './context';
import { download } from './export';
import { NumberField } from './fields';

/** Which stall's samples to ask the app for (the `stallProfile` command). */
export type StallProfileRef = CommandPayload<'stallProfile'>;

/** Distinct functions the top-blockers table remembers; the smallest totals give way first. */
const BLOCKERS_MAX = 50;
const BLOCKERS_SHOWN = 8;

export interface StallsPanelOptions {
  /**
   * Put before every test id of the panel ('watch-' for the watched process's): two panels on
   * one page must not share ids a test looks up one element by.
   */
  testidPrefix?: string;
  title?: string;
  /**
   * Whose threshold the field sets: the demo server's (setStallThreshold). A watched process's
   * threshold is fixed at attach, so its panel only shows it.
   */
  thresholdEditable?: boolean;
  /** Whose samples a stall of this panel has: the demo server's by default; null when none. */
  profileOf?: (stall: Stall) => StallProfileRef | null;
}

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
  private readonly prefix: string;
  private readonly list: HTMLOListElement;
  private readonly table: HTMLTableSectionElement;
  private readonly summary: HTMLSpanElement;
  private readonly detail: HTMLPreElement;
  private readonly copy: HTMLButtonElement;
  private readonly downloadProfile: HTMLButtonElement;
  private readonly flame: FlameGraph;
  private readonly profileOf: (stall: Stall) => StallProfileRef | null;
  /** The selected stall's samples, once they came; a reply for an earlier selection is dropped. */
  private profile: { stall: Stall; ref: StallProfileRef; data: CpuProfile | null } | null = null;
  private recorded: ReadonlyMap<number, CpuProfile | null> | null = null;
  private readonly threshold: NumberField;
  private readonly thresholdText: HTMLSpanElement;
  private thresholdTouched = false;
  private selected: Stall | null = null;
  /**
   * Summary, list and top blockers are one set: the stalls this page received from one server
   * since `since`. The list shows the newest STALL_LIST_MAX of them; the totals count them all.
   */
  private readonly totals = { count: 0, totalMs: 0, maxMs: 0 };
  private since = Date.now();
  /** Epoch ms the demo server started (from its snapshots): a new one means a restarted server. */
  private serverStart: number | null = null;
  /** The server's own count since it started, when it knows of more than this page saw. */
  private serverTotals: { count: number; startedAt: number } | null = null;
  private thresholdMs: number | null = null;

  constructor(
    private readonly ctx: PanelContext,
    options: StallsPanelOptions = {},
  ) {
    const editable = options.thresholdEditable ?? true;
    this.prefix = options.testidPrefix ?? '';
    const tid = (id: string): string => this.prefix + id;
    this.list = h('ol', { class: 'stall-list', testid: tid('stalls-list') });
    this.table = h('tbody', { testid: tid('stall-blockers') });
    this.summary = h('span', { class: 'muted', testid: tid('stalls-summary') }, 'no stalls yet');
    this.detail = h('pre', { class: 'stall-detail', testid: tid('stall-detail') }, '');
    this.copy = h(
      'button',
      { class: 'btn ghost small', testid: tid('stall-copy'), disabled: true },
      'Copy stack',
    );
    this.profileOf = options.profileOf ?? ((stall) => ({ source: 'server', id: stall.id }));
    this.downloadProfile = h(
      'button',
      {
        class: 'btn ghost small',
        testid: tid('stall-profile-download'),
        disabled: true,
        title: "The selected stall's CPU samples, for Chrome DevTools (Performance) or speedscope",
      },
      'Download .cpuprofile',
    );
    this.flame = new FlameGraph(tid('stall-flame'));
    this.flame.message('Pick a stall above to see where its time went.');
    this.threshold = new NumberField(
      tid('stall-threshold'),
      STALL_THRESHOLD_MS.default!,
      STALL_THRESHOLD_MS,
      {
        name: 'Stall threshold (ms)',
        ariaLabel: 'Stall threshold, ms',
      },
    );
    this.thresholdText = h('span', { class: 'muted', testid: tid('stall-threshold-fixed') }, '');
    const apply = h(
      'button',
      { class: 'btn small', testid: tid('stall-threshold-apply'), 'aria-label': 'Set the stall threshold' },
      'Set',
    );
    this.threshold.input.addEventListener('input', () => (this.thresholdTouched = true));
    apply.addEventListener('click', async () => {
      const thresholdMs = this.threshold.read();
      if (thresholdMs === null) return;
      const r = await ctx.act(
        apply,
        () => ctx.api.invoke('setStallThreshold', { thresholdMs }),
        this.threshold,
      );
      if (r) {
        this.thresholdTouched = false;
        this.threshold.input.value = String(r.thresholdMs);
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
    this.downloadProfile.addEventListener('click', async () => {
      const held = this.profile;
      if (!held) return;
      const data = held.data ?? (await ctx.act(this.downloadProfile, () => this.fetchProfile(held)));
      if (!data) return;
      const pid = held.ref.source === 'watch' ? held.ref.pid : undefined;
      download(profileFilename(held.ref.id, pid), JSON.stringify(data), 'application/json');
    });
    this.root = h(
      'section',
      {
        class: 'card wide stalls',
        testid: tid('stalls-panel'),
        'aria-label': options.title ?? 'Stalls',
      },
      h(
        'div',
        {},
        h(
          'header',
          {},
          h('h3', {}, options.title ?? 'Stalls: what blocked the loop'),
          // A fieldset: disabled as one while the app is gone (main.ts), like the sidebar's controls.
          editable
            ? h(
                'fieldset',
                { class: 'needs-app inline' },
                h('label', { class: 'muted' }, 'threshold ', this.threshold.input, ' ms'),
                apply,
              )
            : this.thresholdText,
        ),
        editable ? this.threshold.el : null,
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
      h(
        'div',
        { class: 'stall-flame' },
        h('header', {}, h('h3', {}, "Where the stall's time went"), this.downloadProfile),
        this.flame.root,
      ),
    );
  }

  /** The stalls held, oldest first (the session export carries them). */
  held(): readonly Stall[] {
    return this.stalls;
  }

  /** Start times of the stalls held, for the event-loop chart's marks. */
  times(): number[] {
    return this.stalls.map((s) => s.startedAt);
  }

  /** Forgets every stall: another process is watched now, or the server restarted (`since`). */
  clear(since = Date.now()): void {
    this.stalls.length = 0;
    this.blockers.clear();
    this.totals.count = 0;
    this.totals.totalMs = 0;
    this.totals.maxMs = 0;
    this.serverTotals = null;
    this.since = since;
    this.selected = null;
    this.detail.textContent = '';
    this.copy.disabled = true;
    this.profile = null;
    this.downloadProfile.disabled = true;
    this.flame.message('Pick a stall above to see where its time went.');
    this.render();
    this.showSummary();
  }

  /** A threshold the panel shows but cannot change (a watched process's, set at attach). */
  showThreshold(ms: number): void {
    this.thresholdText.textContent = `threshold ${fmt(ms)} ms`;
    this.thresholdMs = ms;
    this.showSummary();
  }

  /** Takes one stall pushed as it was listed; true when it was new. */
  add(stall: Stall): boolean {
    if (!this.take([stall])) return false;
    this.showSummary();
    return true;
  }

  /**
   * Takes a snapshot's stall window and when its server started (epoch ms); true when the stalls
   * held changed. Another start time is another server (a restart, another port or number of
   * processes): what the panel held was the old one's, so it starts over.
   */
  update(window: StallWindow | undefined, serverStartedAt?: number): boolean {
    if (!window) return false;
    let restarted = false;
    if (serverStartedAt !== undefined) {
      // Both figures are in ms and the clocks are one machine's: 2 s is far beyond any jitter.
      restarted = this.serverStart !== null && Math.abs(serverStartedAt - this.serverStart) > 2_000;
      if (restarted) this.clear(serverStartedAt);
      this.serverStart = serverStartedAt;
    }
    if (!this.thresholdTouched && document.activeElement !== this.threshold.input) {
      this.threshold.input.value = String(window.thresholdMs);
    }
    this.thresholdMs = window.thresholdMs;
    const fresh = this.take(window.recent);
    this.serverTotals =
      this.serverStart !== null && window.count > this.totals.count
        ? { count: window.count, startedAt: this.serverStart }
        : null;
    this.showSummary();
    // A restart emptied the panel: the chart's stall marks must go too.
    return fresh || restarted;
  }

  private take(stalls: readonly Stall[]): boolean {
    const fresh = stalls.filter((s) => !this.known(s));
    if (fresh.length === 0) return false;
    for (const stall of fresh) {
      this.stalls.push(stall);
      this.count(stall);
      this.totals.count++;
      this.totals.totalMs += stall.durationMs;
      this.totals.maxMs = Math.max(this.totals.maxMs, stall.durationMs);
    }
    this.stalls.splice(0, Math.max(0, this.stalls.length - STALL_LIST_MAX));
    this.render();
    return true;
  }

  private showSummary(): void {
    const since = `since ${clock(this.since)}`;
    const t = this.totals;
    let text =
      t.count === 0
        ? `no stalls${this.thresholdMs === null ? '' : ` over ${fmt(this.thresholdMs)} ms`} ${since}`
        : `${this.totalsText(t)}, ${since}`;
    if (t.count > STALL_LIST_MAX) text += ` (the newest ${STALL_LIST_MAX} listed)`;
    const server = this.serverTotals;
    if (server)
      text += `; the server counts ${fmt(server.count)} since it started at ${clock(server.startedAt)}`;
    setText(this.summary, text);
  }

  /**
   * Ids count from 1 again when the demo server restarts (another port, another number of
   * processes): a stall is the same one only with the same id, process and start.
   */
  private known(stall: Stall): boolean {
    return this.stalls.some(
      (s) => s.id === stall.id && s.process === stall.process && s.startedAt === stall.startedAt,
    );
  }

  private totalsText(t: { count: number; totalMs: number; maxMs: number }): string {
    // "3 stalls, 1,630 ms in all, worst 700 ms": what the list below holds and the blockers add up.
    return `${plural(t.count, 'stall')}, ${fmt(t.totalMs, 0)} ms in all, worst ${fmt(t.maxMs, 0)} ms`;
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
      {
        class: 'stall-row',
        testid: `${this.prefix}stall-row`,
        tabindex: 0,
        // Which stall this is, for a test that matches the row with the server's GET /stalls.
        'data-started-at': String(stall.startedAt),
      },
      h('span', { class: 'muted' }, clock(stall.startedAt)),
      h('span', { class: 'n' }, `${fmt(stall.durationMs, 0)} ms`),
      h(
        'code',
        { testid: `${this.prefix}stall-frame`, title: frameText(culpritFrame(stall)) },
        frameText(culpritFrame(stall)),
      ),
      // Which server process stalled: "server", or "worker N" when several run (§10).
      h('span', { class: 'muted', testid: `${this.prefix}stall-process` }, stall.process),
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
          h('td', {}, h('code', {}, ...breakable(b.name))),
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
    this.showProfile(stall);
  }

  /** Asks for the stall's samples and draws them; a failure is said in the graph's place. */
  /**
   * A replayed recording's profiles, by stall id, in place of asking the app (whose stalls these
   * are not); null: back to the app's.
   */
  setRecordedProfiles(profiles: ReadonlyMap<number, CpuProfile | null> | null): void {
    this.recorded = profiles;
  }

  private showProfile(stall: Stall): void {
    if (this.recorded) {
      const data = this.recorded.get(stall.id) ?? null;
      this.downloadProfile.disabled = data === null;
      this.profile = data ? { stall, ref: { source: 'server', id: stall.id }, data } : null;
      if (data) this.flame.show(data, `Stall #${stall.id}`, culpritFrame(stall));
      else this.flame.message('No CPU samples were recorded for this stall.');
      return;
    }
    const ref = this.profileOf(stall);
    this.downloadProfile.disabled = ref === null;
    if (!ref) {
      this.profile = null;
      this.flame.message('No CPU samples for this stall.');
      return;
    }
    const held = { stall, ref, data: null };
    this.profile = held;
    this.flame.message(`Stall #${stall.id}: loading its CPU samples…`);
    this.fetchProfile(held).then(
      (data) => {
        if (this.profile === held) this.flame.show(data, `Stall #${stall.id}`, culpritFrame(stall));
      },
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        if (this.profile === held) this.flame.message(`No flame graph for stall #${stall.id}: ${why}`);
      },
    );
  }

  private async fetchProfile(held: NonNullable<StallsPanel['profile']>): Promise<CpuProfile> {
    if (held.data) return held.data;
    held.data = await this.ctx.api.invoke('stallProfile', held.ref);
    return held.data;
  }
}

/**
 * "hash engine/bcrypt/service.ts:45" as unbreakable pieces with a line-break opportunity at each
 * space and after each "/" only: a long path wraps between folders, never inside a function's or
 * a file's name (not even at the hyphen of "api-schemas.ts").
 */
function breakable(text: string): (string | HTMLElement)[] {
  return text.split(/(\s+)/).flatMap((word): (string | HTMLElement)[] => {
    if (/^\s*$/.test(word)) return word ? [word] : [];
    return word
      .split(/(?<=\/)/)
      .flatMap((piece, i) => [...(i > 0 ? [h('wbr')] : []), h('span', { class: 'nowrap' }, piece)]);
  });
}
