/**
 * The dashboard: wires the bridge (IPC or WebSocket) to the sample store, the charts and the panels.
 *
 * Events only record data; drawing happens at most once per animation frame and only when a new
 * snapshot arrived, so the renderer's work per second follows the sampling rate — never the number
 * of clients or messages.
 */
import type { AppInfo } from '../common/api';
import type { WatchState } from '../common/attach';
import { CHART_REDRAW_MS } from '../common/limits';
import type { LoadReport } from '../common/load';
import { ReportWindows } from '../common/report-windows';
import type { EngineSnapshot } from '../common/snapshot';
import { ApiError, openBridge, TOKEN_HELP, type Bridge } from './bridge';
import { h } from './dom';
import { Redraw } from './redraw';
import { ChartCards } from './panels/chart-cards';
import type { PanelContext } from './panels/context';
import { download, stamp } from './panels/export';
import { IntegrityPanel } from './panels/integrity';
import { LoadControls } from './panels/load-controls';
import { humanMessage, Notices } from './panels/notices';
import { PrimeBox } from './panels/prime-box';
import { Readouts } from './panels/readouts';
import { ServerControls } from './panels/server-controls';
import { StallsPanel } from './panels/stalls';
import { WatchList } from './panels/watch-list';
import { WatchView } from './panels/watch-view';
import { WhyPanel } from './panels/why-wait';
import { WorkControls } from './panels/work-controls';
import { RecordingPanel, type Shown } from './panels/recording-panel';
import type { BcryptRun } from './charts/bcrypt-markers';
import { bcryptMarkerLabel, replayAt } from './state/replay';
import type { Stall } from '../common/stalls';
import { windowLine, type RecordingLine } from '../common/recording';
import { FreshnessWatch } from './state/freshness';
import { SampleStore } from './state/samples';
import { sessionCsv, sessionJson, type SessionMeta } from './state/session-export';
import { version } from '../package.json';
import './styles.css';

const WINDOWS_MIN = [1, 5, 15];

function start(): void {
  const app = document.getElementById('app');
  if (!app) throw new Error('index.html has no #app');
  const notices = new Notices();
  let bridge: Bridge;
  try {
    bridge = openBridge();
  } catch (err) {
    app.replaceChildren(
      h('div', { class: 'fatal', testid: 'fatal' }, err instanceof Error ? err.message : String(err)),
    );
    return;
  }
  const api = bridge.api;

  let info: AppInfo | null = null;
  let latestSnapshot: EngineSnapshot | null = null;
  let latestReport: LoadReport | null = null;
  /** Reports received since the last snapshot: each sample row holds all of them, joined. */
  const sinceSnapshot = new ReportWindows();
  let windowMs = 60_000;
  let paused = false;
  // Handlers below say what changed; the drawing runs once per frame, after start() has built it all.
  const redraw = new Redraw({
    readouts() {
      // Paused: the readouts stay with the charts they sit above (the counter is for the tests).
      const shown = replay ?? { snapshot: latestSnapshot, report: latestReport, store };
      if (!paused) readouts.update(shown.snapshot, shown.report, shown.store, windowMs);
      readouts.root.dataset.snapshots = String(snapshotCount);
      load.update(shown.report);
      work.update(shown.snapshot?.queue ?? null);
      work.updateFeed(shown.report);
      integrity.update(shown.report);
      if (!paused) charts.updateReadouts(shown.store, windowMs);
    },
    charts() {
      // Only the charts on screen: the hidden set is drawn whole when it comes back (Redraw.all).
      if (watchView.watching) watchView.redraw(windowMs);
      else charts.redraw(replay?.store ?? store, windowMs);
    },
    // A long window is redrawn less often; the next snapshot after its period draws it, so it is
    // never staler than one period plus one sample.
    chartPeriodMs: () => CHART_REDRAW_MS.find((r) => windowMs <= r.windowMs)?.everyMs ?? 0,
  });
  /** Snapshots received so far; exposed on the readouts for tests that wait for fresh samples. */
  let snapshotCount = 0;

  const store = new SampleStore();
  /** What a recording shows at its slider's time, in place of the live figures; null: live. */
  let replay: { snapshot: EngineSnapshot | null; report: LoadReport | null; store: SampleStore } | null =
    null;
  const replayStore = new SampleStore();
  const freshness = new FreshnessWatch();
  const serverControls = (): ServerControls => server;
  const ctx: PanelContext = {
    api,
    info: () => info,
    setInfo(next) {
      info = next;
      serverControls().show(next);
      shellBadge.textContent = next.shell === 'electron' ? 'desktop' : 'browser';
    },
    notify: (level, message) => notices.show(level, message),
    dismiss: (code) => notices.dismiss(code),
    async act(button, task, field) {
      if (button) button.disabled = true;
      try {
        return await task();
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError('internal_error', String(err));
        if (field) field.fail(humanMessage(e.code, e.message));
        else notices.show('error', humanMessage(e.code, e.message), e.code);
        return undefined;
      } finally {
        if (button) button.disabled = false;
      }
    },
  };

  // Header
  const status = h('span', { class: 'status connecting', testid: 'bridge-status' }, 'connecting');
  const shellBadge = h('span', { class: 'badge' }, bridge.kind === 'ipc' ? 'desktop' : 'browser');
  const windowSelect = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Time window' });
  for (const minutes of WINDOWS_MIN) {
    const b = h(
      'button',
      {
        class: `seg${minutes * 60_000 === windowMs ? ' on' : ''}`,
        testid: `window-${minutes}m`,
        'aria-pressed': String(minutes * 60_000 === windowMs),
      },
      `${minutes} min`,
    );
    b.addEventListener('click', () => {
      windowMs = minutes * 60_000;
      for (const other of windowSelect.children) {
        other.classList.toggle('on', other === b);
        other.setAttribute('aria-pressed', String(other === b));
      }
      redraw.all();
    });
    windowSelect.append(b);
  }
  const pause = h(
    'button',
    {
      class: 'btn',
      testid: 'pause',
      'aria-pressed': 'false',
      title:
        'Freezes the charts and the readouts above them; the controls and the session export keep updating',
    },
    'Pause',
  );
  /** Said on the page, not only on the button: what is frozen, since when, and what still runs. */
  const pausedBanner = h('div', {
    class: 'paused-banner',
    testid: 'paused-banner',
    role: 'status',
    hidden: true,
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    pause.classList.toggle('on', paused);
    pausedBanner.hidden = !paused;
    pausedBanner.textContent = paused
      ? `Paused at ${new Date().toLocaleTimeString('en-GB')}: the charts and readouts are frozen. ` +
        'Samples are still recorded (the export has them); Resume catches up.'
      : '';
    app!.classList.toggle('paused', paused);
    charts.setPaused(paused);
    redraw.setPaused(paused);
  });
  const csv = h(
    'button',
    { class: 'btn', testid: 'export-csv', 'aria-label': 'Export the session as CSV' },
    'CSV',
  );
  const json = h(
    'button',
    { class: 'btn', testid: 'export-json', 'aria-label': 'Export the session as JSON' },
    'JSON',
  );
  /** What a saved session needs to be read later: when, where, which version, against what. */
  const sessionMeta = (): SessionMeta => ({
    exported_at: new Date().toISOString(),
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    utc_offset_minutes: -new Date().getTimezoneOffset(),
    loopscope_version: version,
    shell: info?.shell ?? bridge.kind,
    server_url: info?.serverUrl ?? null,
    target_url: info?.targetUrl ?? null,
    server_processes: info?.serverWorkers ?? null,
    sample_interval_ms: latestSnapshot?.intervalMs ?? info?.sampleIntervalMs ?? null,
    times: 'ISO 8601 in UTC',
  });
  const sessionEvents = () => ({ stalls: stalls.held(), bcryptRuns: charts.runs });
  csv.addEventListener('click', () =>
    download(
      `loopscope-session-${stamp()}.csv`,
      sessionCsv(store, sessionMeta(), sessionEvents()),
      'text/csv',
    ),
  );
  json.addEventListener('click', () =>
    download(
      `loopscope-session-${stamp()}.json`,
      sessionJson(store, sessionMeta(), sessionEvents()),
      'application/json',
    ),
  );

  const recordingPanel = new RecordingPanel(ctx, { onShow: (shown) => showRecording(shown) });
  /**
   * Puts `shown`'s Stalls and Why panels in the page in place of `hidden`'s. The server's stalls
   * and episodes arrive once each, so the live panels go on taking them while a recording is
   * shown, out of the page, and are whole again on Back to live.
   */
  function swapPanels(shown: { stalls: StallsPanel; why: WhyPanel }, hidden: typeof shown): void {
    for (const [into, from] of [
      [shown.stalls.root, hidden.stalls.root],
      [shown.why.root, hidden.why.root],
    ] as const) {
      if (!from.isConnected) continue;
      into.hidden = from.hidden; // hidden while a process is watched
      from.replaceWith(into);
    }
  }
  /**
   * A recording at its slider's time, through the same stores and panels a live session fills:
   * each server sample with the generator windows up to it, the stalls and episodes listed up to
   * then, and its bcrypt markers. null: back to the live figures and panels.
   */
  function showRecording(shown: Shown | null): void {
    if (!shown) {
      replay = null;
      swapPanels({ stalls, why }, { stalls: replayStalls, why: replayWhy });
      charts.setBcryptRuns(ownBcryptRuns);
      charts.showProcesses(store.processes.tenures(), latestSnapshot?.processes ?? []);
      charts.setStallTimes(stalls.times());
      charts.setEpisodes(why.bands());
      redraw.all();
      return;
    }
    swapPanels({ stalls: replayStalls, why: replayWhy }, { stalls, why });
    replayStalls.clear(shown.recording.meta.startedAt);
    replayWhy.clear();
    const view = replayAt(shown.recording, shown.until, replayStore);
    replay = { snapshot: view.snapshot, report: view.report, store: replayStore };
    for (const window of view.stallWindows) replayStalls.update(window);
    for (const stall of view.stalls) replayStalls.add(stall);
    replayWhy.take(view.episodes);
    replayStalls.setRecordedProfiles(view.profiles);
    charts.setBcryptRuns(view.bcryptRuns);
    charts.showProcesses(replayStore.processes.tenures(), view.snapshot?.processes ?? []);
    charts.setStallTimes(replayStalls.times());
    charts.setEpisodes(replayWhy.bands());
    redraw.all();
  }
  /** This page's own bcrypt runs, kept aside while a recording's are shown. */
  const ownBcryptRuns: BcryptRun[] = [];

  const header = h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◉'), 'Loopscope'),
    status,
    shellBadge,
    h('div', { class: 'spacer' }),
    windowSelect,
    pause,
    recordingPanel.controls,
    h('span', { class: 'muted export-label' }, 'Export'),
    csv,
    json,
  );

  const readouts = new Readouts();
  const load = new LoadControls(ctx);
  const work = new WorkControls(ctx, (run) => {
    ownBcryptRuns.push(run);
    recordingPanel.record({
      type: 'marker',
      time: run.start,
      endTime: run.end,
      label: bcryptMarkerLabel(run),
    });
    if (replay) return;
    charts.addBcryptRun(run);
    redraw.all();
  });
  const prime = new PrimeBox(ctx);
  const server = new ServerControls(ctx);
  const integrity = new IntegrityPanel();
  const charts = new ChartCards();
  const stalls = new StallsPanel(ctx);
  const why = new WhyPanel(ctx, { snapshotOf: () => ({ source: 'server' }) });
  // A recording's own, in the live panels' place while it is shown.
  const replayStalls = new StallsPanel(ctx);
  const replayWhy = new WhyPanel(ctx, { snapshotOf: () => ({ source: 'server' }) });
  // "Watch a process": while one is watched, its charts and stalls take the demo server's place.
  const watchView = new WatchView(ctx, () => stopWatching());
  const watchList = new WatchList(ctx, (state) => (state ? startWatching(state) : stopWatching()));
  const demoCards = [...charts.cards, stalls.root, why.root, replayStalls.root, replayWhy.root];
  function startWatching(state: WatchState): void {
    watchView.show(state);
    watchList.setWatching(state);
    readouts.setCaption(
      `The demo server and its simulated clients (not pid ${state.pid}: its figures are above)`,
    );
    for (const card of demoCards) card.hidden = true;
    redraw.all();
  }
  function stopWatching(): void {
    if (!watchView.watching) return;
    watchView.hide();
    readouts.setCaption(null);
    for (const card of demoCards) card.hidden = false;
    watchList.setWatching(null);
    void watchList.refresh();
    redraw.all();
  }

  const afterLoopChart = charts.cards.findIndex((c) => c.dataset.testid === 'chart-event-loop') + 1;
  app.replaceChildren(
    header,
    // In the flow under the header: a notice pushes the page down instead of covering a chart.
    notices.root,
    pausedBanner,
    recordingPanel.banner,
    watchView.banner,
    watchView.tiles,
    readouts.root,
    h(
      'div',
      { class: 'layout' },
      // Every control here needs the app: the fieldset disables them as one while it is gone.
      h(
        'aside',
        {},
        h(
          'fieldset',
          { class: 'sidebar needs-app', testid: 'controls' },
          load.root,
          work.root,
          prime.root,
          server.root,
          watchList.root,
        ),
      ),
      h(
        'main',
        { class: 'grid' },
        ...watchView.cards,
        // What blocked the loop right under the loop's chart: on a narrow screen it is the third
        // card, not the ninth.
        ...charts.cards.slice(0, afterLoopChart),
        stalls.root,
        why.root,
        ...charts.cards.slice(afterLoopChart),
        integrity.root,
      ),
    ),
  );

  bridge.onStatus((s) => {
    if (s === 'refused') {
      app.replaceChildren(h('div', { class: 'fatal', testid: 'fatal' }, TOKEN_HELP));
      return;
    }
    status.textContent = s;
    status.className = `status ${s}`;
    // Figures on screen stop being true the moment the app is gone: grey them and say so.
    app.classList.toggle('stale', s !== 'connected');
    // ...and a control that needs the app does nothing without it: disabled until it is back.
    for (const controls of app.querySelectorAll<HTMLFieldSetElement>('fieldset.needs-app')) {
      controls.disabled = s !== 'connected';
      controls.title = s === 'connected' ? '' : `Not connected to the app (${s}): these controls need it`;
    }
    if (s === 'disconnected') {
      notices.show(
        'error',
        'Lost the connection to Loopscope (has the process stopped?). The figures shown are stale; reconnecting…',
        'disconnected',
      );
    }
    if (s === 'connected') {
      api.invoke('getInfo', {}).then(ctx.setInfo, (err: unknown) => notices.show('error', String(err)));
      // The list, and whether the app already watches a process (attached from another window).
      void watchList.refresh();
    }
  });

  api.on('snapshot', (snapshot) => {
    latestSnapshot = snapshot;
    snapshotCount++;
    freshness.snapshot(performance.now());
    checkFreshness();
    recordingPanel.record({ type: 'sample', time: snapshot.time, snapshot });
    for (const d of snapshot.diagnoses ?? [])
      recordingPanel.record({ type: 'diagnosis', time: snapshot.time, diagnosis: d });
    if (recordingPanel.recording) for (const stall of snapshot.stalls?.recent ?? []) recordStall(stall);
    // No report since the last snapshot (generator idle): the gauges still hold; a generator gone
    // quiet or dead holds nothing any more, so its rows are empty rather than copies of the last.
    const clientsLive = freshness.state(performance.now(), sampleIntervalMs()).clients;
    store.add(snapshot, sinceSnapshot.take() ?? (clientsLive ? latestReport : null));
    // A recording shown keeps the charts: the live figures go on into the store and the live
    // panels (out of the page) meanwhile.
    const serverStartedAt = snapshot.time - snapshot.uptimeS * 1000;
    const newStalls = stalls.update(snapshot.stalls, serverStartedAt);
    const newEpisodes = why.take(snapshot.diagnoses, serverStartedAt);
    if (replay) return;
    charts.showProcesses(store.processes.tenures(), snapshot.processes ?? []);
    if (newStalls) charts.setStallTimes(stalls.times());
    if (newEpisodes) charts.setEpisodes(why.bands());
    redraw.data();
  });
  /**
   * A stall recorded once, with its CPU samples when the app still has them. Ids are each server
   * process's own (several under --workers): a stall is the same one by id, process and start.
   */
  const recordedStalls = new Set<string>();
  function recordStall(stall: Stall): void {
    const key = `${stall.process}:${stall.id}:${stall.startedAt}`;
    if (recordedStalls.has(key)) return;
    recordedStalls.add(key);
    recordingPanel.recordWhenReady(
      api.invoke('stallProfile', { source: 'server', id: stall.id }).then(
        (profile): RecordingLine => ({ type: 'stall', time: stall.startedAt, stall, profile }),
        (): RecordingLine => ({ type: 'stall', time: stall.startedAt, stall, profile: null }),
      ),
    );
  }
  api.on('stall', (stall) => {
    if (recordingPanel.recording) recordStall(stall);
    const added = stalls.add(stall);
    if (replay) return;
    // Drawn with the next redraw period, not at once: a loaded server stalls several times a
    // second, and a redraw per stall cost more than all the periodic ones (bench/RESULTS.md).
    if (added) charts.setStallTimes(stalls.times());
    redraw.charts();
  });
  api.on('watch', ({ pid, command, event }) => {
    if (event.type === 'attached') {
      startWatching({
        pid,
        command,
        inspector: event.inspector,
        openedInspector: event.openedInspector,
        nodeVersion: event.nodeVersion,
        stallThresholdMs: event.stallThresholdMs,
        since: event.time,
      });
      return;
    }
    // What a process this window no longer shows sends (a late sample of the last one) is dropped.
    if (watchView.watching?.pid !== pid) return;
    if (event.type === 'sample') {
      watchView.addSample(event);
    } else if (event.type === 'stall') {
      const { type: _type, ...stall } = event;
      watchView.addStall(stall);
    } else if (event.type === 'diagnosis') {
      watchView.addDiagnosis(event);
    } else {
      stopWatching();
      return;
    }
    redraw.charts();
  });
  api.on('loadReport', (report) => {
    latestReport = report;
    sinceSnapshot.add(report);
    recordingPanel.record(windowLine(report));
    freshness.report(performance.now());
    checkFreshness();
    // Shown with the next snapshot (at most one sample later): the page lays out and paints once
    // per sample, not once per report as well.
  });
  api.on('notice', (n) => {
    notices.show(n.level, n.message, n.code);
    if (n.code === 'generator_exited') {
      freshness.generatorDied();
      checkFreshness();
    }
    // Another tab (or the app itself) may have moved the server; the prime box must follow it.
    if (n.code === 'server_moved' || n.code === 'server_workers')
      api.invoke('getInfo', {}).then(ctx.setInfo, (err: unknown) => notices.show('error', String(err)));
  });

  const sampleIntervalMs = (): number => latestSnapshot?.intervalMs ?? info?.sampleIntervalMs ?? 1000;
  /**
   * Greys the figures whose source has gone quiet ([data-source] in the panels) and says so once;
   * checked on every event and by a slow timer, since silence itself brings no event.
   */
  const shown = { server: true, clients: true };
  function checkFreshness(): void {
    const now = freshness.state(performance.now(), sampleIntervalMs());
    app!.classList.toggle('stale-server', !now.server);
    app!.classList.toggle('stale-clients', !now.clients);
    if (shown.server && !now.server)
      notices.show(
        'error',
        'No new figures from the demo server for several samples (is its process hung?). The server figures shown are stale.',
        'server_silent',
      );
    // A dead generator was said by the app's own notice; silence without one is said here.
    if (shown.clients && !now.clients && !app!.querySelector('[data-code="generator_exited"]'))
      notices.show(
        'error',
        'No reports from the load generator for several seconds. The client figures shown are stale.',
        'generator_silent',
      );
    shown.server = now.server;
    shown.clients = now.clients;
  }
  setInterval(checkFreshness, 1000);
}

start();
