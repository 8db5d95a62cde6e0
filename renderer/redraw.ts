/**
 * When the page redraws: at most once per animation frame, only what changed, and the charts no
 * more often than their window's period (a 15-minute chart moves a pixel in seconds). Every event
 * handler says what it changed; none of them draws.
 */
export interface Drawing {
  readouts(): void;
  charts(): void;
  /** The shortest time between two chart redraws for the window shown now. */
  chartPeriodMs(): number;
}

export class Redraw {
  private readoutsDue = false;
  private chartsDue = false;
  /** When the charts were last drawn; -Infinity makes the next frame draw them whatever the period. */
  private chartsDrawnAt = -Infinity;
  private scheduled = false;
  private paused = false;

  constructor(private readonly drawing: Drawing) {}

  /** A snapshot or a report arrived: the readouts, and the charts when their period allows. */
  data(): void {
    this.readoutsDue = true;
    this.chartsDue = true;
    this.schedule();
  }

  /** Something only the charts show changed (a stall mark, a watched process's sample). */
  charts(): void {
    this.chartsDue = true;
    this.schedule();
  }

  /** What is shown changed (the window, Pause, a watch, a bcrypt band): all of it, at once. */
  all(): void {
    this.chartsDrawnAt = -Infinity;
    this.data();
  }

  /** Paused, the charts are not drawn; the readouts' frame still runs (they freeze themselves). */
  setPaused(paused: boolean): void {
    this.paused = paused;
    this.all();
  }

  private frame(): void {
    if (this.readoutsDue) {
      this.readoutsDue = false;
      this.drawing.readouts();
    }
    // A tenth of slack: samples arrive with jitter, and one a hair early must not wait a whole period.
    const every = this.drawing.chartPeriodMs() * 0.9;
    if (this.chartsDue && !this.paused && performance.now() - this.chartsDrawnAt >= every) {
      this.chartsDue = false;
      this.chartsDrawnAt = performance.now();
      this.drawing.charts();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.frame();
    });
  }
}
