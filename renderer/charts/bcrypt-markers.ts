/** bcrypt runs on the event loop, marked on the event-loop chart (see time-markers.ts). */
import type { Plugin } from 'chart.js';
import { THEME } from './setup';
import { timeMarkers } from './time-markers';

export function bcryptMarkers(times: () => readonly number[]): Plugin<'line'> {
  return timeMarkers({ id: 'bcryptMarkers', label: 'bcrypt', color: THEME.marker, labelY: 9 }, times);
}
