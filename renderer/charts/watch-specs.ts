/** What the charts show while a process is watched (columns from state/watch-samples.ts). */
import type { WatchColumn } from '../state/watch-samples';
import { COLORS } from './setup';
import { LOOP_SERIES } from './specs';
import type { ChartSpec } from './time-chart';

export const WATCH_CHART_SPECS: ChartSpec<WatchColumn>[] = [
  {
    id: 'watch-event-loop',
    title: 'Watched process: event-loop delay',
    yTitle: 'ms (log)',
    yUnit: 'ms',
    log: true,
    y2Title: 'utilization %',
    y2Unit: '%',
    y2Max: 100,
    stallMarks: true,
    episodeBands: true,
    series: [...LOOP_SERIES],
  },
  {
    id: 'watch-handles',
    title: 'Watched process: open handles (TCP sockets are its connections)',
    yTitle: 'open',
    yUnit: 'open',
    stacked: true,
    series: [
      { column: 'handles_tcp', label: 'TCP sockets', color: COLORS.http, fill: true },
      { column: 'handles_server', label: 'listening', color: COLORS.wsFeed, fill: true },
      { column: 'handles_timer', label: 'timers', color: COLORS.longPoll, fill: true },
      { column: 'handles_other', label: 'other', color: COLORS.sse, fill: true },
    ],
  },
  {
    id: 'watch-heap',
    title: 'Watched process: heap used',
    yTitle: 'MB',
    yUnit: 'MB',
    series: [{ column: 'heap_used_mb', label: 'heap used', color: COLORS.depth, fill: true }],
  },
];
