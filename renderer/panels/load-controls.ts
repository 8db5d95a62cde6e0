/**
 * Simulated clients: spawn or stop N of each kind (with a ramp), stop everything, and see what the
 * generator reports per kind — active, pending and failures.
 */
import { CLIENT_COUNT, RAMP_PER_S, REQUEST_PATH_MAX_CHARS } from '../../common/limits';
import { CLIENT_KINDS, isRequestPath, type ClientKind, type LoadReport } from '../../common/load';
import { fmt, h, setText, setTitle } from '../dom';
import { KIND_LABELS } from '../kind-labels';
import type { PanelContext } from './context';
import { FieldError, NumberField } from './fields';

/** The demo server's echo endpoint (docs/protocol.md §4b): where WS echo clients connect by default. */
const DEMO_ECHO_PATH = '/ws/echo';

/** A failure cause as a person reads it: http_404 → "HTTP 404", server_closed → "server closed". */
export function causeWords(cause: string): string {
  const http = /^http_(\d+)$/.exec(cause);
  return http ? `HTTP ${http[1]}` : cause.replace(/_/g, ' ');
}

/** How many clients one Spawn or Stop moves: what the app accepts (at least one). */
const MOVED_COUNT = { ...CLIENT_COUNT, min: 1 };

const DEFAULT_COUNT: Record<ClientKind, number> = {
  'ws-prime': 500,
  'ws-feed': 200,
  sse: 200,
  'long-poll': 200,
  http: 20,
  publisher: 1,
  'job-producer': 2,
  'ws-echo': 0,
};

/**
 * Clients of a kind that were spawned and are running. The generator also counts the publish-rate
 * sender as an active publisher; the Publisher row counts only publishers spawned here (the rate
 * in force is shown beside the Feed's rate field).
 */
export function activeSpawned(report: LoadReport, kind: ClientKind): number {
  const active = report.kinds[kind]?.active ?? 0;
  if (kind !== 'publisher' || !report.publishRatePerS) return active;
  return Math.max(0, active - 1);
}

interface Row {
  active: HTMLElement;
  pending: HTMLElement;
  failures: HTMLElement;
  /** Why they failed, by cause, under the row (hidden while none has). */
  causes: HTMLElement;
}

export class LoadControls {
  readonly root: HTMLElement;
  private readonly rows = new Map<ClientKind, Row>();

  constructor(private readonly ctx: PanelContext) {
    const ramp = new NumberField('spawn-ramp', 0, RAMP_PER_S, {
      name: 'Ramp',
      fractional: true,
      ariaLabel: 'Ramp, clients per second (0 = all at once)',
    });
    const body = h('tbody');
    for (const kind of CLIENT_KINDS) {
      const label = KIND_LABELS[kind];
      const count = new NumberField(`spawn-count-${kind}`, DEFAULT_COUNT[kind], MOVED_COUNT, {
        name: `${label} clients to spawn or stop`,
        ariaLabel: `${label}: how many to spawn or stop`,
      });
      const spawn = h(
        'button',
        { class: 'btn primary small', testid: `spawn-${kind}`, 'aria-label': `Spawn ${label} clients` },
        'Spawn',
      );
      const stop = h(
        'button',
        { class: 'btn small', testid: `stop-${kind}`, 'aria-label': `Stop ${label} clients` },
        'Stop',
      );
      // WS echo clients need an echo endpoint: the demo server's unless told another.
      const echoPath =
        kind === 'ws-echo'
          ? new FieldError(
              h('input', {
                type: 'text',
                value: DEMO_ECHO_PATH,
                testid: 'echo-path',
                class: 'path',
                spellcheck: 'false',
                'aria-label': 'WebSocket echo path',
              }),
              'echo-path',
            )
          : null;
      const readEchoPath = (): { path: string } | null | undefined => {
        if (!echoPath) return undefined;
        const path = echoPath.input.value.trim();
        if (isRequestPath(path, REQUEST_PATH_MAX_CHARS)) {
          echoPath.clear();
          return { path };
        }
        echoPath.fail(
          `Echo path must start with / and hold printable characters only, at most ${REQUEST_PATH_MAX_CHARS}`,
        );
        return null;
      };
      spawn.addEventListener('click', () => {
        const n = count.read();
        const rampPerS = ramp.read();
        const options = readEchoPath();
        if (n === null || rampPerS === null || options === null) return;
        void ctx.act(
          spawn,
          () =>
            ctx.api.invoke('load', {
              type: 'spawn',
              kind,
              count: n,
              rampPerS,
              ...(options ? { options } : {}),
            }),
          count,
        );
      });
      stop.addEventListener('click', () => {
        const n = count.read();
        if (n === null) return;
        void ctx.act(stop, () => ctx.api.invoke('load', { type: 'stop', kind, count: n }), count);
      });
      const row: Row = {
        active: h('td', { class: 'n', testid: `active-${kind}`, 'data-source': 'clients' }, '0'),
        pending: h('td', { class: 'n muted', 'data-source': 'clients' }, '0'),
        failures: h('td', { class: 'n muted', 'data-source': 'clients' }, '0'),
        causes: h('td', {
          colspan: 5,
          class: 'causes',
          testid: `failures-${kind}`,
          'data-source': 'clients',
        }),
      };
      this.rows.set(kind, row);
      body.append(
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, label),
          row.active,
          row.pending,
          row.failures,
          h('td', { class: 'actions' }, count.input, spawn, stop),
        ),
        // The count's error, under its own row.
        h('tr', { class: 'field-error-row' }, h('td', { colspan: 5 }, count.el)),
        ...(echoPath
          ? [
              h(
                'tr',
                { class: 'option-row' },
                h(
                  'td',
                  { colspan: 5 },
                  h('label', {}, 'echo path ', echoPath.input),
                  h('span', { class: 'muted small' }, ` (${DEMO_ECHO_PATH} on the demo server)`),
                  echoPath.el,
                ),
              ),
            ]
          : []),
        h('tr', { class: 'cause-row', hidden: true }, row.causes),
      );
    }
    const stopAll = h(
      'button',
      { class: 'btn danger', testid: 'stop-all', 'aria-label': 'Stop all simulated clients' },
      'Stop all',
    );
    stopAll.addEventListener('click', async () => {
      const done = await ctx.act(stopAll, () => ctx.api.invoke('load', { type: 'stopAll' }));
      // With no clients the generator cannot skew any figure: its saturation is no longer news.
      if (done) ctx.dismiss('generator_warning');
    });

    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Simulated clients' },
      h('h2', {}, 'Simulated clients'),
      h(
        'table',
        { class: 'kinds' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Kind'),
            h('th', {}, 'Active'),
            h('th', {}, 'Pend.'),
            h('th', {}, 'Fail'),
            h('th', {}, 'N'),
          ),
        ),
        body,
      ),
      h(
        'div',
        { class: 'row' },
        h('label', {}, 'Ramp ', ramp.input, h('span', { class: 'muted' }, ' clients/s (0 = all at once)')),
        stopAll,
        ramp.el,
      ),
    );
  }

  update(report: LoadReport | null): void {
    if (!report) return;
    for (const [kind, row] of this.rows) {
      const k = report.kinds[kind];
      if (!k) continue;
      setText(row.active, fmt(activeSpawned(report, kind)));
      setText(row.pending, fmt(k.pending));
      const failures = Object.entries(k.failures);
      const total = failures.reduce((t, [, n]) => t + n, 0);
      setText(row.failures, fmt(total));
      setTitle(row.failures, failures.map(([cause, n]) => `${causeWords(cause)}: ${n}`).join('\n'));
      row.failures.classList.toggle('bad', total > 0);
      const causes = failures
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([cause, n]) => `${causeWords(cause)} ×${fmt(n)}`)
        .join(' · ');
      setText(row.causes, causes ? `failed: ${causes}` : '');
      row.causes.parentElement!.hidden = causes === '';
    }
  }
}
