/** Element construction for the panels: plain DOM, no framework, no innerHTML. */
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = String(value);
    else if (name === 'testid') el.dataset.testid = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

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

/**
 * Sets an element's text (or an attribute) only when it changed: an unchanged write still
 * invalidates layout and style, and most readouts are unchanged from one sample to the next.
 */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setTitle(el: HTMLElement, title: string): void {
  if (el.title !== title) el.title = title;
}

/** "1 stall", "3 stalls", "1,000 simulated clients": a count with its noun. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${fmt(count)} ${count === 1 ? noun : nouns}`;
}
