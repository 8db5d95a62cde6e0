/** The labels of a log axis, as a pure function (no chart, no DOM): tested by table. */
const tickFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/**
 * A log axis's labels: 1, 2 and 5 of each decade, and the top tick always (so the axis says how
 * high it reaches) — but no other label within a factor of 1.5 under the top, where the two would
 * print over each other (chart.js's own formatter labels every tick of the top fifth: 60 … 100).
 */
export function logTickLabel(value: number, index: number, values: readonly number[]): string {
  const top = values[values.length - 1] ?? value;
  if (index === values.length - 1) return tickFormat.format(value);
  if (!(value > 0)) return '';
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  const nice = [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
  return nice && value * 1.5 <= top ? tickFormat.format(value) : '';
}
