/** How the dashboard writes a number (en-US grouping, fixed digits). */
/**
 * One formatter per number of digits: toLocaleString with options builds a new Intl.NumberFormat on
 * every call, which was a tenth of the dashboard's main-thread time with a panel of readouts.
 */
const formats = new Map<number, Intl.NumberFormat>();

/** Formats a number for a readout: '—' when there is no value yet. */
export function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  let format = formats.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formats.set(digits, format);
  }
  return format.format(value);
}
