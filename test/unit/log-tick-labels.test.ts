/**
 * The log axis's labels (issue 21, item 9: "the 70 and 100 ticks collide"): 1, 2 and 5 of each
 * decade and the top, and nothing crowding the top. Ticks as chart.js generates them for a log axis.
 */
import { describe, expect, it } from 'vitest';
import { logTickLabel } from '../../renderer/charts/log-ticks';

/** chart.js's log ticks: 1…9 of each decade from `min`, then `max` itself. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let decade = min; decade < max; decade *= 10)
    for (let m = 1; m < 10; m++) {
      const v = Number((m * decade).toPrecision(6));
      if (v >= min && v < max) ticks.push(v);
    }
  return [...ticks, max];
}

const labels = (ticks: number[]) => ticks.map((v, i) => logTickLabel(v, i, ticks)).filter((l) => l !== '');

describe('log axis labels', () => {
  it.each([
    [0.1, 100, ['0.1', '0.2', '0.5', '1', '2', '5', '10', '20', '50', '100']],
    [0.1, 130, ['0.1', '0.2', '0.5', '1', '2', '5', '10', '20', '50', '130']],
    [1, 70, ['1', '2', '5', '10', '20', '70']],
    [0.1, 1000, ['0.1', '0.2', '0.5', '1', '2', '5', '10', '20', '50', '100', '200', '500', '1,000']],
  ])('from %s to %s', (min, max, expected) => {
    expect(labels(logTicks(min, max))).toEqual(expected);
  });

  it('no two labels closer than a factor of 1.5 (they would print over each other)', () => {
    for (const max of [70, 90, 100, 120, 150, 300, 999]) {
      const shown = logTicks(0.1, max)
        .map((v, i, all) => [v, logTickLabel(v, i, all)] as const)
        .filter(([, l]) => l !== '')
        .map(([v]) => v);
      for (let i = 1; i < shown.length; i++) expect(shown[i]! / shown[i - 1]!).toBeGreaterThanOrEqual(1.5);
    }
  });
});
