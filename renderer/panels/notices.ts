/** A short, bounded list of messages for the user: failed commands, port changes, generator warnings. */
import { h } from '../dom';

const MAX_SHOWN = 4;
const SHOW_MS = 8000;

export class Notices {
  readonly root = h('div', { class: 'notices', 'aria-live': 'polite', testid: 'notices' });

  show(level: 'info' | 'warn' | 'error', message: string): void {
    const item = h('div', { class: `notice ${level}` }, message);
    this.root.prepend(item);
    while (this.root.childElementCount > MAX_SHOWN) this.root.lastElementChild?.remove();
    setTimeout(() => item.remove(), SHOW_MS);
  }
}
