/**
 * The "Why clients wait" panel (docs/protocol.md §12): the episodes of one process — the demo
 * server's, or the watched process's in the watch view — in words: the cause, its sentence, its
 * figures, what is behind it, and how long it lasted or that it goes on. Beside it "Take heap
 * snapshot" of the same process, into a directory the user names; offered in the row of a
 * `memory` episode while it is open.
 *
 * Bounded like the Stalls panel: the store keeps EPISODES_MAX episodes, and the list is rebuilt
 * only when a window brought a change (an ongoing row's duration is updated in place).
 */
import type { CommandPayload, HeapSnapshotWritten } from '../../common/api';
import type { Diagnosis } from '../../common/diagnosis';
import { CAUSE_COLORS, type EpisodeBand } from '../charts/episode-bands';
import { fmt, h, setText } from '../dom';
import { EpisodeStore } from '../state/episodes';
import type { PanelContext } from './context';
import { FieldError } from './fields';
import { CAUSE_LABELS, culpritText, durationText, evidenceText } from './why-words';

/** Whose heap the snapshot is of: the demo server's or the watched pid's (the directory is added). */
export type HeapSnapshotRef =
  { source: 'server' } | Omit<Extract<CommandPayload<'heapSnapshot'>, { source: 'watch' }>, 'dir'>;

export interface WhyPanelOptions {
  /** Put before every test id ('watch-' for the watched process's panel). */
  testidPrefix?: string;
  title?: string;
  /** Whose heap "Take heap snapshot" writes; null when there is none to take. */
  snapshotOf: () => HeapSnapshotRef | null;
}

const clockFormat = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const MB = 1024 * 1024;

export class WhyPanel {
  readonly root: HTMLElement;
  private readonly store = new EpisodeStore();
  private readonly prefix: string;
  private readonly list: HTMLOListElement;
  private readonly dir: HTMLInputElement;
  private readonly dirError: FieldError;
  private readonly snapshotButton: HTMLButtonElement;
  private readonly result: HTMLElement;
  /** The duration texts of the open episodes' rows: the only part that changes without an event. */
  private ongoing: { episode: Diagnosis; el: HTMLElement }[] = [];
  private serverStart: number | null = null;

  constructor(
    private readonly ctx: PanelContext,
    private readonly options: WhyPanelOptions,
  ) {
    this.prefix = options.testidPrefix ?? '';
    const tid = (id: string): string => this.prefix + id;
    this.list = h('ol', { class: 'why-list', testid: tid('why-list') });
    this.dir = h('input', {
      type: 'text',
      class: 'path',
      testid: tid('why-heap-dir'),
      'aria-label': 'Directory for heap snapshots (an absolute path)',
      spellcheck: 'false',
    });
    this.dirError = new FieldError(this.dir, tid('why-heap-dir'));
    this.snapshotButton = h(
      'button',
      {
        class: 'btn ghost small',
        testid: tid('why-heap-snapshot'),
        title:
          'Writes a .heapsnapshot for Chrome DevTools (Memory, Load). The process stops while it is written.',
      },
      'Take heap snapshot',
    );
    this.snapshotButton.addEventListener('click', () => void this.snapshot(this.snapshotButton));
    this.result = h('div', { class: 'muted why-heap-result', testid: tid('why-heap-result') }, '');
    this.root = h(
      'section',
      { class: 'card why', testid: tid('why-panel'), 'aria-label': options.title ?? 'Why clients wait' },
      h(
        'header',
        {},
        h('h3', {}, options.title ?? 'Why clients wait'),
        // Disabled as one with every control that needs the app, while it is gone (main.ts).
        h(
          'fieldset',
          { class: 'needs-app inline why-heap' },
          h('label', { class: 'muted' }, 'into ', this.dir),
          this.snapshotButton,
        ),
      ),
      this.dirError.el,
      this.result,
      this.list,
    );
    this.render();
  }

  /** The episodes as bands for the time charts. */
  bands(): EpisodeBand[] {
    return this.store.list().map((d) => ({
      cause: d.cause,
      label: CAUSE_LABELS[d.cause],
      from: d.startedAt,
      to: d.endedAt,
    }));
  }

  /**
   * Takes the episodes of one window (a snapshot's, or one `diagnosis` event); true when the
   * episodes held changed. `serverStartedAt` (epoch ms): another start is another server, whose
   * ids start again and whose open episodes ended with the old one, so the panel starts over.
   */
  take(episodes: readonly Diagnosis[] | undefined, serverStartedAt?: number): boolean {
    let restarted = false;
    if (serverStartedAt !== undefined) {
      // As the Stalls panel: one machine's clock, ms; 2 s is far beyond any jitter.
      restarted = this.serverStart !== null && Math.abs(serverStartedAt - this.serverStart) > 2_000;
      if (restarted) this.store.clear();
      this.serverStart = serverStartedAt;
    }
    const changed = this.store.take(episodes) || restarted;
    if (changed) this.render();
    else this.tick();
    return changed;
  }

  /** Forgets every episode: another process is watched now, or the server restarted. */
  clear(): void {
    this.store.clear();
    setText(this.result, '');
    this.render();
  }

  private tick(): void {
    const now = Date.now();
    for (const { episode, el } of this.ongoing) setText(el, durationText(episode, now));
    // The default directory is known once the app has said it.
    const info = this.ctx.info();
    if (info && this.dir.placeholder !== info.heapSnapshotDir) this.dir.placeholder = info.heapSnapshotDir;
  }

  private render(): void {
    const episodes = this.store.list();
    this.ongoing = [];
    if (episodes.length === 0) {
      this.list.replaceChildren(
        h(
          'li',
          { class: 'muted', testid: `${this.prefix}why-empty` },
          'No episode yet: nothing has kept clients waiting (loop, GC, threadpool, upstream, CPU, heap).',
        ),
      );
    } else {
      this.list.replaceChildren(...episodes.map((d) => this.row(d)));
    }
    this.tick();
  }

  private row(d: Diagnosis): HTMLElement {
    const p = this.prefix;
    const duration = h(
      'span',
      { class: 'why-duration', testid: `${p}why-duration` },
      durationText(d, Date.now()),
    );
    if (d.endedAt === null) this.ongoing.push({ episode: d, el: duration });
    const culprit = culpritText(d);
    const offer =
      d.cause === 'memory' && d.endedAt === null
        ? h(
            'button',
            { class: 'btn small', testid: `${p}why-heap-offer`, title: 'What holds the growing heap' },
            'Take heap snapshot',
          )
        : null;
    offer?.addEventListener('click', () => void this.snapshot(offer));
    const row = h(
      'li',
      {
        class: `why-row${d.endedAt === null ? ' open' : ''}`,
        testid: `${p}why-row-${d.cause}`,
        'data-id': String(d.id),
        'data-open': String(d.endedAt === null),
      },
      h(
        'div',
        { class: 'why-head' },
        h('strong', { class: 'why-cause', testid: `${p}why-cause` }, CAUSE_LABELS[d.cause]),
        h('span', { class: 'muted' }, clockFormat.format(d.startedAt)),
        duration,
      ),
      h('div', { class: 'why-summary', testid: `${p}why-summary` }, d.summary),
      h(
        'div',
        { class: 'why-facts' },
        h('span', { class: 'muted', testid: `${p}why-evidence` }, evidenceText(d)),
        culprit ? h('code', { testid: `${p}why-culprit`, title: culprit }, culprit) : null,
        offer,
      ),
    );
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    row.style.borderLeftColor = CAUSE_COLORS[d.cause];
    return row;
  }

  private async snapshot(button: HTMLButtonElement): Promise<void> {
    const ref = this.options.snapshotOf();
    if (!ref) return;
    const dir = this.dir.value.trim();
    setText(this.result, 'Writing the heap snapshot: the process stops until it is written…');
    const written = await this.ctx.act(
      button,
      () => this.ctx.api.invoke('heapSnapshot', dir ? { ...ref, dir } : ref),
      this.dirError,
    );
    setText(this.result, written ? writtenText(written) : '');
    if (written) this.ctx.notify('info', writtenText(written));
  }
}

/** Where, how big, how long: what the user needs to find and trust the file. */
export function writtenText(w: HeapSnapshotWritten): string {
  return (
    `Heap snapshot of pid ${w.pid} written to ${w.path} (${fmt(w.bytes / MB, 1)} MB, took ${fmt(w.ms)} ms). ` +
    'Open it in Chrome DevTools: Memory, Load.'
  );
}
