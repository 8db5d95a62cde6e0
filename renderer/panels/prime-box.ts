/**
 * Asks the demo server whether a number is prime over a real WebSocket from this page to
 * /ws/prime — the protocol's section 4, exactly as any browser client would use it. The socket is
 * opened for a question and closed once every answer is in.
 */
import { h } from '../dom';
import type { PanelContext } from './context';

interface PrimeReply {
  n?: string;
  prime?: boolean;
  error?: string;
  message?: string;
}

export class PrimeBox {
  readonly root: HTMLElement;
  private socket: WebSocket | null = null;
  private socketUrl = '';
  /** Answers arrive in the order the numbers were sent on the connection. */
  private readonly waiting: ((reply: PrimeReply) => void)[] = [];

  constructor(private readonly ctx: PanelContext) {
    const input = h('input', {
      type: 'text',
      value: '2305843009213693951',
      maxlength: 40,
      spellcheck: 'false',
      testid: 'prime-input',
      'aria-label': 'Number to test',
    });
    const check = h('button', { class: 'btn primary small', testid: 'prime-check' }, 'Is it prime?');
    const answer = h('div', { class: 'prime-answer', testid: 'prime-answer', 'aria-live': 'polite' }, '');
    const ask = async () => {
      check.disabled = true;
      answer.className = 'prime-answer';
      answer.textContent = '…';
      // The hover text belongs to the answer it explains: gone with it.
      answer.removeAttribute('title');
      try {
        const reply = await this.ask(input.value);
        if (reply.error) {
          answer.textContent = reply.message ?? reply.error;
          answer.classList.add('bad');
        } else {
          answer.textContent = reply.prime ? 'prime' : 'not prime';
          answer.classList.add(reply.prime ? 'good' : 'neutral');
          answer.title = `n = ${reply.n}`;
        }
      } catch (err) {
        answer.textContent = err instanceof Error ? err.message : String(err);
        answer.classList.add('bad');
      } finally {
        check.disabled = false;
      }
    };
    check.addEventListener('click', () => void ask());
    input.addEventListener('input', () => {
      // An answer for another number no longer answers what is in the field.
      answer.textContent = '';
      answer.className = 'prime-answer';
      answer.removeAttribute('title');
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void ask();
    });
    this.root = h(
      'section',
      { class: 'panel', 'aria-label': 'Prime checker' },
      h('h2', {}, 'Prime checker ', h('span', { class: 'muted' }, 'ws /ws/prime')),
      h('div', { class: 'row' }, input, check),
      answer,
    );
  }

  private primeUrl(): string {
    const info = this.ctx.info();
    if (!info) throw new Error('not connected to the app yet');
    return `${info.serverUrl.replace(/^http/, 'ws')}/ws/prime`;
  }

  private open(): Promise<WebSocket> {
    const url = this.primeUrl();
    if (this.socket && this.socketUrl === url && this.socket.readyState === WebSocket.OPEN) {
      return Promise.resolve(this.socket);
    }
    this.socket?.close();
    const socket = new WebSocket(url);
    this.socket = socket;
    this.socketUrl = url;
    socket.addEventListener('message', (msg) => {
      const resolve = this.waiting.shift();
      resolve?.(JSON.parse(String(msg.data)) as PrimeReply);
      // Close once nothing is pending, so the page's own socket does not linger in the
      // connection counts the user is watching.
      if (this.waiting.length === 0) socket.close(1000, 'done');
    });
    socket.addEventListener('close', () => {
      if (this.socket === socket) this.socket = null;
      while (this.waiting.length) this.waiting.shift()?.({ error: 'closed', message: 'connection closed' });
    });
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(socket), { once: true });
      socket.addEventListener('error', () => reject(new Error(`cannot reach ${url}`)), { once: true });
    });
  }

  private async ask(n: string): Promise<PrimeReply> {
    const socket = await this.open();
    return new Promise<PrimeReply>((resolve) => {
      this.waiting.push(resolve);
      socket.send(n);
    });
  }
}
