/** The demo server's address and port (changeable), the simulated clients' target, the sample rate. */
import type { AppInfo } from '../../common/api';
import { DEFAULT_SERVER_PORT, PORT } from '../../common/limits';
import { h } from '../dom';
import type { PanelContext } from './context';
import { FieldError, NumberField } from './fields';

export class ServerControls {
  readonly root: HTMLElement;
  private readonly address = h('code', { testid: 'server-url' }, '—');
  private readonly target = h('code', { testid: 'target-url' }, '—');
  private readonly port = new NumberField('server-port', DEFAULT_SERVER_PORT, PORT, {
    name: 'Port',
    ariaLabel: 'Demo server port (0 picks a free one)',
  });
  private readonly interval = h('select', { testid: 'sample-interval' });
  /** docs/protocol.md §10: server processes behind the port, 1 … this machine's cores. */
  private readonly workers = h('select', { testid: 'server-workers', 'aria-label': 'Server processes' });
  private readonly killWorker = h(
    'button',
    {
      class: 'btn small',
      testid: 'kill-worker',
      disabled: true,
      title: 'SIGKILL one server process: the primary replaces it, followers resume from their cursor',
    },
    'Kill a worker',
  );

  constructor(private readonly ctx: PanelContext) {
    const applyPort = h(
      'button',
      {
        class: 'btn small',
        testid: 'server-port-apply',
        'aria-label': 'Restart the demo server on this port',
      },
      'Restart on port',
    );
    applyPort.addEventListener('click', async () => {
      const port = this.port.read();
      if (port === null) return;
      const info = await ctx.act(applyPort, () => ctx.api.invoke('setServerPort', { port }), this.port);
      if (info) ctx.setInfo(info);
    });

    const targetInput = h('input', {
      type: 'url',
      placeholder: 'http://127.0.0.1:9000',
      testid: 'target-input',
      'aria-label': 'External target URL',
    });
    const targetError = new FieldError(targetInput, 'target-input');
    const setTarget = h(
      'button',
      { class: 'btn small', testid: 'target-apply', 'aria-label': 'Point the simulated clients at this URL' },
      'Set',
    );
    const resetTarget = h(
      'button',
      {
        class: 'btn small',
        testid: 'target-reset',
        'aria-label': 'Point the simulated clients at the demo server',
      },
      'Use demo server',
    );
    setTarget.addEventListener('click', async () => {
      const url = targetInput.value.trim();
      if (!isWebAddress(url)) {
        targetError.fail(
          url === ''
            ? 'External target is empty: give an address such as http://127.0.0.1:9000'
            : `External target must be an address such as http://127.0.0.1:9000, got "${url}"`,
        );
        return;
      }
      const info = await ctx.act(setTarget, () => ctx.api.invoke('setTarget', { url }), targetError);
      if (info) {
        targetError.clear();
        ctx.setInfo(info);
      }
    });
    resetTarget.addEventListener('click', async () => {
      const info = await ctx.act(resetTarget, () => ctx.api.invoke('setTarget', { url: null }));
      if (info) ctx.setInfo(info);
    });

    const applyWorkers = h(
      'button',
      {
        class: 'btn small',
        testid: 'server-workers-apply',
        title:
          'Restart the demo server as this many processes on the same port (2 or more share a private redis-server)',
      },
      'Restart with',
    );
    applyWorkers.addEventListener('click', async () => {
      const info = await ctx.act(applyWorkers, () =>
        ctx.api.invoke('setServerWorkers', { count: Number(this.workers.value) }),
      );
      if (info) ctx.setInfo(info);
    });
    this.killWorker.addEventListener('click', async () => {
      const killed = await ctx.act(this.killWorker, () => ctx.api.invoke('killServerWorker', {}));
      if (killed)
        ctx.notify('info', `Killed worker ${killed.id} (pid ${killed.pid}); the primary replaces it.`);
    });

    const interval = this.interval;
    for (const ms of [250, 500, 1000, 2000, 5000]) {
      interval.append(h('option', { value: ms, selected: ms === 1000 }, `${ms} ms`));
    }
    interval.addEventListener('change', async () => {
      const r = await ctx.act(null, () =>
        ctx.api.invoke('setSampleInterval', { ms: Number(interval.value) }),
      );
      if (r) this.showInterval(r.ms);
    });

    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Server' },
      h('h2', {}, 'Demo server'),
      h('div', { class: 'row' }, h('span', { class: 'muted' }, 'Address '), this.address),
      h('div', { class: 'row' }, h('label', {}, 'Port ', this.port.input), applyPort, this.port.el),
      h('div', { class: 'row' }, applyWorkers, h('label', {}, this.workers, ' workers')),
      h('div', { class: 'row' }, this.killWorker),
      h('div', { class: 'row' }, h('span', { class: 'muted' }, 'Clients target '), this.target),
      h('div', { class: 'row' }, targetInput, setTarget, targetError.el),
      h('div', { class: 'row' }, resetTarget),
      h('div', { class: 'row' }, h('label', {}, 'Sample every ', interval)),
    );
  }

  show(info: AppInfo): void {
    this.port.clear();
    this.address.textContent = info.serverUrl;
    this.target.textContent = info.targetUrl;
    this.port.input.value = new URL(info.serverUrl).port;
    this.showInterval(info.sampleIntervalMs);
    this.showWorkers(info.serverWorkers, info.maxServerWorkers);
  }

  private showWorkers(count: number, max: number): void {
    if (this.workers.options.length !== max) {
      this.workers.replaceChildren(
        ...Array.from({ length: max }, (_, i) => h('option', { value: i + 1 }, String(i + 1))),
      );
    }
    this.workers.value = String(count);
    this.workers.dataset.running = String(count);
    // The button stays enabled/disabled by act() while a kill is in flight; this is its resting state.
    this.killWorker.disabled = count < 2;
  }

  private showInterval(ms: number): void {
    if (![...this.interval.options].some((o) => Number(o.value) === ms)) {
      this.interval.append(h('option', { value: ms }, `${ms} ms`));
    }
    this.interval.value = String(ms);
  }
}

/** What the clients can be pointed at: an absolute http(s) or ws(s) address. */
function isWebAddress(text: string): boolean {
  if (!URL.canParse(text)) return false;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(text).protocol);
}
