/**
 * A short, bounded list of messages for the user: failed commands, port changes, generator warnings.
 * A message with the same code as one on screen replaces it instead of stacking.
 */
import { h } from '../dom';

const MAX_SHOWN = 3;
const SHOW_MS = 8000;

export class Notices {
  readonly root = h('div', { class: 'notices', 'aria-live': 'polite', testid: 'notices' });
  private readonly timers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

  show(level: 'info' | 'warn' | 'error', message: string, code = ''): void {
    let item = code
      ? [...this.root.children].find((el): el is HTMLElement => (el as HTMLElement).dataset.code === code)
      : undefined;
    if (item) {
      clearTimeout(this.timers.get(item));
      item.className = `notice ${level}`;
      item.textContent = message;
    } else {
      item = h('div', { class: `notice ${level}`, 'data-code': code }, message);
      this.root.prepend(item);
    }
    while (this.root.childElementCount > MAX_SHOWN) this.root.lastElementChild?.remove();
    const shown = item;
    this.timers.set(
      shown,
      setTimeout(() => shown.remove(), SHOW_MS),
    );
    shown.addEventListener('click', () => shown.remove(), { once: true });
  }
}
