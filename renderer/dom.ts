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

/** Formats a number for a readout: '—' when there is no value yet. */
export function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A number field bounded by one of common/limits.ts's ranges, so the UI never offers what the app refuses. */
export function numberInput(
  testid: string,
  value: number,
  range: { min: number; max: number },
  step = 1,
): HTMLInputElement {
  return h('input', { type: 'number', value, min: range.min, max: range.max, step, testid, class: 'num' });
}

export function readNumber(input: HTMLInputElement): number {
  return input.valueAsNumber;
}
