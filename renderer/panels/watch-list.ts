/**
 * "Watch a process": the local Node processes of this user (pid, command line, whether their
 * inspector is open), a Refresh button, and an Attach button per row. Attaching happens only on
 * that click, and only sends the row's pid: nothing typed here reaches the watched process.
 */
import type { WatchableProcess, WatchState } from '../../common/attach';
import { h } from '../dom';
import type { PanelContext } from './context';

/** Command lines are cut to this many characters on screen (the whole line is the row's title). */
const COMMAND_SHOWN = 90;

export class WatchList {
  readonly root: HTMLElement;
  private readonly rows = h('tbody', { testid: 'watch-rows' });
  private readonly status = h('div', { class: 'muted small', testid: 'watch-status', role: 'status' }, '');
  private readonly refreshButton = h(
    'button',
    { class: 'btn small', testid: 'watch-refresh', 'aria-label': 'Refresh the list of Node processes' },
    'Refresh',
  );
  private processes: WatchableProcess[] = [];
  private watching: WatchState | null = null;

  constructor(
    private readonly ctx: PanelContext,
    /** A watch began (this window's click) or the app's differs from what this window shows. */
    private readonly onWatching: (state: WatchState | null) => void,
  ) {
    this.refreshButton.addEventListener('click', () => void this.refresh());
    this.root = h(
      'section',
      { class: 'panel watch-list', testid: 'watch-panel', 'aria-label': 'Watch a process' },
      h('h2', {}, 'Watch a process'),
      h(
        'p',
        { class: 'muted small' },
        "Attach opens the process's inspector on loopback: that is code execution in it, so only " +
          'your own Node processes are listed, and only the one you click is touched.',
      ),
      h('div', { class: 'row' }, this.refreshButton, this.status),
      h(
        'table',
        { class: 'watch-table', 'aria-label': 'Local Node processes' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, 'pid'), h('th', {}, 'command'), h('th', {}, 'inspector'), h('th', {}, '')),
        ),
        this.rows,
      ),
    );
  }

  /** Asks the app for the list (and what it watches now: another window may have attached). */
  async refresh(): Promise<void> {
    this.status.textContent = 'looking…';
    const r = await this.ctx.act(this.refreshButton, () => this.ctx.api.invoke('listProcesses', {}));
    if (!r) {
      this.status.textContent = '';
      return;
    }
    this.processes = r.processes;
    this.status.textContent = `${r.processes.length} Node process${r.processes.length === 1 ? '' : 'es'}`;
    // Another window attached, or the watch ended while this one was disconnected.
    if (r.watching?.pid !== this.watching?.pid) this.onWatching(r.watching);
    this.setWatching(r.watching);
  }

  /** Attach buttons are off while a process is watched: one at a time. */
  setWatching(state: WatchState | null): void {
    this.watching = state;
    this.render();
  }

  private render(): void {
    this.rows.replaceChildren(
      ...this.processes.map((p) => {
        const shown = p.command.length > COMMAND_SHOWN ? `${p.command.slice(0, COMMAND_SHOWN)}…` : p.command;
        const isWatched = this.watching?.pid === p.pid;
        const attach = h(
          'button',
          {
            class: 'btn small primary',
            testid: 'watch-attach',
            'aria-label': `Attach to pid ${p.pid}: ${shown}`,
            disabled: this.watching !== null,
          },
          isWatched ? 'Watching' : 'Attach',
        );
        attach.addEventListener('click', async () => {
          const state = await this.ctx.act(attach, () => this.ctx.api.invoke('watchProcess', { pid: p.pid }));
          if (state) this.onWatching(state);
        });
        return h(
          'tr',
          { testid: 'watch-row', 'data-pid': p.pid, class: isWatched ? 'on' : undefined },
          h('td', { class: 'n' }, String(p.pid)),
          h('td', { title: p.command }, h('code', {}, shown)),
          h(
            'td',
            { testid: 'watch-inspector' },
            p.inspectorPort === null ? 'closed' : `open :${p.inspectorPort}`,
          ),
          h('td', {}, attach),
        );
      }),
    );
  }
}
