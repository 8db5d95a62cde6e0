/**
 * A recording as the page would have seen it live, up to a moment (the replay slider): the server
 * samples into a sample store, each with the generator windows that arrived before it, joined as
 * the live page joins them; the stalls and episodes listed by then (an episode that ended later
 * shows as open); the bcrypt runs among its markers. Pure but for the store it fills.
 */
import type { CpuProfile } from '../../common/cpuprofile';
import type { Diagnosis } from '../../common/diagnosis';
import type { LoadReport } from '../../common/load';
import type { Recording } from '../../common/recording';
import { ReportWindows } from '../../common/report-windows';
import type { EngineSnapshot } from '../../common/snapshot';
import type { Stall, StallWindow } from '../../common/stalls';
import type { BcryptRun } from '../charts/bcrypt-markers';
import type { SampleStore } from './samples';

export interface ReplayView {
  snapshot: EngineSnapshot | null;
  report: LoadReport | null;
  stallWindows: StallWindow[];
  stalls: Stall[];
  profiles: Map<number, CpuProfile | null>;
  episodes: Diagnosis[];
  bcryptRuns: BcryptRun[];
}

/** How a bcrypt run is written as a marker, and read back. */
export function bcryptMarkerLabel(run: BcryptRun): string {
  return `bcrypt ${run.mode} cost ${run.cost}`;
}
const BCRYPT_MARKER = /^bcrypt (loop|pool) cost (\d+)$/;

export function replayAt(rec: Recording, until: number, store: SampleStore): ReplayView {
  store.clear();
  const joined = new ReportWindows();
  let w = 0;
  let report: LoadReport | null = null;
  let snapshot: EngineSnapshot | null = null;
  const stallWindows: StallWindow[] = [];
  for (const s of rec.samples) {
    if (s.time > until) break;
    for (; w < rec.windows.length && rec.windows[w]!.time <= s.time; w++) {
      joined.add(rec.windows[w]!.report);
      report = rec.windows[w]!.report;
    }
    store.add(s.snapshot, joined.take() ?? null);
    if (s.snapshot.stalls) stallWindows.push(s.snapshot.stalls);
    snapshot = s.snapshot;
  }
  // A recording with no server samples (a target without /stats) still has its clients' figures.
  for (; w < rec.windows.length && rec.windows[w]!.time <= until; w++) report = rec.windows[w]!.report;
  const recorded = rec.stalls.filter((s) => s.stall.startedAt <= until);
  const episodes = rec.diagnoses
    .map((d) => d.diagnosis)
    .filter((d) => d.startedAt <= until)
    .map((d) => (d.endedAt !== null && d.endedAt > until ? { ...d, endedAt: null } : d));
  const bcryptRuns: BcryptRun[] = [];
  for (const m of rec.markers) {
    const match = BCRYPT_MARKER.exec(m.label);
    if (!match || m.time > until) continue;
    bcryptRuns.push({
      start: m.time,
      end: m.endTime ?? m.time,
      mode: match[1] as 'loop' | 'pool',
      cost: Number(match[2]),
    });
  }
  return {
    snapshot,
    report,
    stallWindows,
    stalls: recorded.map((s) => s.stall),
    profiles: new Map(rec.stalls.map((s) => [s.stall.id, s.profile])),
    episodes,
    bcryptRuns,
  };
}
