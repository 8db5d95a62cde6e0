/** Element construction for the panels: plain DOM, no framework, no innerHTML. */
import { fmt } from '../common/format';

// Readout numbers are formatted in common/, so a test compares them with the very same words.
export { fmt };
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
