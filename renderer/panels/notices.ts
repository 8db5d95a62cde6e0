/**
 * A short, bounded list of messages for the user: failed commands, port changes, generator warnings.
 * A message with the same code as one on screen replaces it instead of stacking.
 */
import { h } from '../dom';

const MAX_SHOWN = 3;

/** What a failed command means to a person, by its catalogue code; the code itself stays in the tooltip. */
const LEADS: Record<string, string> = {
  bad_payload: 'That value was not accepted',
  unknown_command: 'The app did not recognise that request',
  shutting_down: 'The app is shutting down',
  port_in_use: 'That port is taken',
  generator_exited: 'The load generator stopped',
  internal_error: 'Something went wrong',
  disconnected: 'The dashboard lost its connection to the app',
};

/** "bad_payload", "setTarget: url Invalid URL" → "That value was not accepted: url Invalid URL". */
export function humanMessage(code: string, message: string): string {
  // Validation messages start with the command's internal name, which means nothing on screen.
  const detail = code === 'bad_payload' ? message.replace(/^\w+: /, '') : message;
  const lead = LEADS[code];
  if (!lead) return detail.charAt(0).toUpperCase() + detail.slice(1);
  return detail ? `${lead}: ${detail}` : lead;
}
const SHOW_MS = 8000;

export class Notices {
  readonly root = h('div', { class: 'notices', 'aria-live': 'polite', testid: 'notices' });
  private readonly timers = new WeakMap<HTMLElement, ReturnType<typeof setTimeout>>();

  dismiss(code: string): void {
    for (const el of [...this.root.children]) {
      if ((el as HTMLElement).dataset.code === code) el.remove();
    }
  }

  show(level: 'info' | 'warn' | 'error', text: string, code = ''): void {
    const message = text.charAt(0).toUpperCase() + text.slice(1);
    let item = code
      ? [...this.root.children].find((el): el is HTMLElement => (el as HTMLElement).dataset.code === code)
      : undefined;
    if (item) {
      clearTimeout(this.timers.get(item));
      item.className = `notice ${level}`;
      item.textContent = message;
    } else {
      item = h('div', { class: `notice ${level}`, 'data-code': code, role: 'status' }, message);
      this.root.prepend(item);
    }
    item.title = code ? `${code} · click to dismiss` : 'click to dismiss';
    while (this.root.childElementCount > MAX_SHOWN) this.root.lastElementChild?.remove();
    const shown = item;
    this.timers.set(
      shown,
      setTimeout(() => shown.remove(), SHOW_MS),
    );
    shown.addEventListener('click', () => shown.remove(), { once: true });
  }
}
