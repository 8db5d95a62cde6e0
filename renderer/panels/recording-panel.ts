/**
 * Record / Stop, Open recording and Save report (issue 20): the controls in the top bar, and the
 * banner with its time slider while a recording is shown. The page feeds `record()` what it
 * receives; what a recording shows is drawn by the page (main.ts) through `onShow`, from the same
 * lines a live session would have given it.
 */
import {
  isGzip,
  parseRecording,
  RecordingError,
  type Recording,
  type RecordingLine,
} from '../../common/recording';
import { reportModel } from '../../common/report/report-model';
import { reportPage } from '../../common/report/report-page';
import { h } from '../dom';
import { reportAssets } from '../report-assets';
import { RECORD_MAX_BYTES, RECORD_MAX_MS, SessionRecorder } from '../state/session-recorder';
import type { PanelContext } from './context';
import { download, stamp } from './export';

export interface Shown {
  recording: Recording;
  name: string;
  /** Epoch ms up to which the recording is shown (the slider). */
  until: number;
}

/** The longest Stop waits for a line still being fetched (a stall's CPU samples from the app). */
const PENDING_WAIT_MS = 3_000;

const sizeText = (bytes: number): string =>
  bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const clockText = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** The span a recording covers: its first line's time to its last. */
function span(r: Recording): { from: number; to: number } {
  const times = [
    r.meta.startedAt,
    ...r.samples.map((s) => s.time),
    ...r.windows.map((w) => w.time),
    r.summary?.time ?? r.meta.startedAt,
  ];
  return { from: Math.min(...times), to: Math.max(...times) };
}

/** A recording's text, gunzipped when `load --record FILE.ndjson.gz` wrote it so. */
async function fileText(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!isGzip(bytes)) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

export class RecordingPanel {
  readonly controls: HTMLElement;
  readonly banner: HTMLElement;
  private readonly recordButton = h(
    'button',
    { class: 'btn small', testid: 'record-toggle', title: 'Record what this page receives, to a file' },
    'Record',
  );
  private readonly status = h('span', { class: 'muted record-status', testid: 'record-status' }, '');
  private readonly fileInput = h('input', {
    type: 'file',
    accept: '.ndjson,.gz,application/x-ndjson,application/gzip',
    testid: 'open-recording',
    class: 'visually-hidden',
    'aria-label': 'Recording file to open',
  });
  private readonly openButton = h(
    'button',
    { class: 'btn small ghost', testid: 'open-recording-button' },
    'Open recording',
  );
  private readonly saveButton = h(
    'button',
    {
      class: 'btn small ghost',
      testid: 'save-report',
      title: 'One HTML file with the charts, stalls and verdict',
      disabled: true,
    },
    'Save report',
  );
  private readonly error = h(
    'span',
    { class: 'field-error', testid: 'open-recording-error', role: 'alert' },
    '',
  );
  private readonly bannerName = h('strong', { testid: 'replay-name' }, '');
  private readonly bannerMeta = h('span', { class: 'muted', testid: 'replay-meta' }, '');
  private readonly slider = h('input', {
    type: 'range',
    min: 0,
    max: 1000,
    value: 1000,
    testid: 'replay-slider',
    'aria-label': 'Time shown in the recording',
  });
  private readonly sliderText = h('span', { class: 'muted', testid: 'replay-time' }, '');
  private readonly back = h('button', { class: 'btn small', testid: 'replay-back' }, 'Back to live');

  private recorder: SessionRecorder | null = null;
  /** Lines still being fetched for a recording (a stall's CPU samples): Stop waits for them. */
  private readonly pending = new Set<Promise<void>>();
  private recordTimer: ReturnType<typeof setInterval> | null = null;
  /** The last recording stopped, for Save report after it. */
  private lastRecorded: { text: string; name: string } | null = null;
  private shown: Shown | null = null;

  constructor(
    private readonly ctx: PanelContext,
    private readonly hooks: {
      /** Draw the recording up to `until` (or, with null, go back to live figures). */
      onShow(shown: Shown | null): void;
    },
  ) {
    this.controls = h(
      'div',
      { class: 'recording-controls' },
      this.recordButton,
      this.status,
      this.openButton,
      this.fileInput,
      this.saveButton,
      this.error,
    );
    this.banner = h(
      'section',
      { class: 'card replay-banner', testid: 'replay-banner', hidden: true },
      h('div', {}, 'Showing a recording: ', this.bannerName, ' ', this.bannerMeta),
      h('div', { class: 'replay-scrub' }, this.slider, this.sliderText, this.back),
    );
    this.recordButton.addEventListener('click', () => void (this.recorder ? this.stop() : this.start()));
    this.openButton.addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => void this.open());
    this.saveButton.addEventListener('click', () => void this.saveReport());
    this.slider.addEventListener('input', () => this.scrub());
    this.back.addEventListener('click', () => this.close());
  }

  get recording(): boolean {
    return this.recorder !== null;
  }

  get showing(): boolean {
    return this.shown !== null;
  }

  /** One line of what the page received; nothing unless recording. */
  record(line: RecordingLine): void {
    if (!this.recorder) return;
    if (!this.recorder.add(line)) void this.stop('full');
  }

  /**
   * A line that takes a moment to have (a stall with its CPU samples, asked of the app when the
   * stall arrives): it goes into the recording that was running then, and Stop waits for it, up
   * to PENDING_WAIT_MS, so a stall just before Stop is not left out.
   */
  recordWhenReady(line: Promise<RecordingLine>): void {
    const recorder = this.recorder;
    if (!recorder) return;
    const done: Promise<void> = line
      .then(
        (l) => {
          if (!recorder.add(l) && recorder === this.recorder) void this.stop('full');
        },
        () => undefined,
      )
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private async start(): Promise<void> {
    const meta = await this.ctx.act(this.recordButton, () => this.ctx.api.invoke('recordingMeta', {}));
    if (!meta) return;
    this.recorder = new SessionRecorder(meta);
    this.recordButton.textContent = 'Stop';
    this.recordButton.classList.add('recording');
    this.saveButton.disabled = false;
    this.tick();
    this.recordTimer = setInterval(() => this.tick(), 1000);
  }

  private tick(): void {
    if (!this.recorder) return;
    this.status.textContent = `● ${clockText(Date.now() - this.recorder.startedAt)} · ${sizeText(this.recorder.bytes)}`;
    if (this.recorder.full()) void this.stop('full');
  }

  /** Stops and saves the file (a download: in Electron, its save dialog). */
  private async stop(why: 'asked' | 'full' = 'asked'): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) return;
    this.recorder = null;
    if (this.recordTimer) clearInterval(this.recordTimer);
    this.recordTimer = null;
    this.recordButton.textContent = 'Record';
    this.recordButton.classList.remove('recording');
    if (this.pending.size > 0) {
      this.status.textContent = 'saving…';
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((resolve) => setTimeout(resolve, PENDING_WAIT_MS)),
      ]);
    }
    const name = `loopscope-${stamp()}`;
    const text = recorder.text();
    this.lastRecorded = { text, name };
    this.status.textContent = `saved ${name}.ndjson (${sizeText(text.length)})`;
    download(`${name}.ndjson`, text, 'application/x-ndjson');
    if (why === 'full')
      this.ctx.notify(
        'warn',
        `The recording stopped by itself at its bound (${sizeText(RECORD_MAX_BYTES)} or ${RECORD_MAX_MS / 3_600_000} hours) and was saved.`,
      );
  }

  private async open(): Promise<void> {
    const file = this.fileInput.files?.[0];
    this.fileInput.value = '';
    if (!file) return;
    this.error.textContent = '';
    let recording: Recording;
    try {
      recording = parseRecording(await fileText(file));
    } catch (err) {
      this.error.textContent =
        err instanceof RecordingError ? `${file.name}: ${err.message}` : `${file.name}: ${String(err)}`;
      return;
    }
    const { to } = span(recording);
    this.shown = { recording, name: file.name.replace(/\.ndjson(\.gz)?$/, ''), until: to };
    const m = recording.meta;
    this.bannerName.textContent = file.name;
    this.bannerMeta.textContent =
      `recorded ${new Date(m.startedAt).toLocaleString()} by ${m.source === 'load' ? '`load --record`' : 'the dashboard'}` +
      `${m.target ? `, target ${m.target}` : ''}, ${m.machine.cores} cores, Node ${m.machine.node}` +
      `${recording.samples.length === 0 ? ' — no server samples in it' : ''}`;
    this.slider.value = '1000';
    this.banner.hidden = false;
    this.saveButton.disabled = false;
    this.scrub();
  }

  private scrub(): void {
    if (!this.shown) return;
    const { from, to } = span(this.shown.recording);
    this.shown.until = from + ((to - from) * Number(this.slider.value)) / 1000;
    this.sliderText.textContent = `${((this.shown.until - from) / 1000).toFixed(0)} s of ${((to - from) / 1000).toFixed(0)} s`;
    this.hooks.onShow(this.shown);
  }

  private close(): void {
    this.shown = null;
    this.banner.hidden = true;
    this.saveButton.disabled = this.recorder === null && this.lastRecorded === null;
    this.hooks.onShow(null);
  }

  /** The recording shown, else the one being made (so far), else the last one stopped. */
  private async saveReport(): Promise<void> {
    let run: { recording: Recording; name: string } | null = null;
    if (this.shown) run = this.shown;
    else if (this.recorder)
      run = { recording: parseRecording(this.recorder.text()), name: 'recording-in-progress' };
    else if (this.lastRecorded)
      run = { recording: parseRecording(this.lastRecorded.text), name: this.lastRecorded.name };
    if (!run) return;
    const html = reportPage([reportModel(run.name, run.recording)], await reportAssets());
    download(`${run.name}-report.html`, html, 'text/html');
  }
}
