/**
 * Fields that check their own value before anything is sent, against the same common/limits.ts
 * range the app enforces (common/range.ts's check, so the wording is the app's), and say what is
 * wrong beside the field — in the field's own name, with aria-invalid — instead of in a banner.
 * A refused value sends nothing, so it changes nothing.
 */
import { LoopscopeError } from '../../common/errors';
import { describeDecimalRange, describeRange, type IntRange } from '../../common/limits';
import { parseIntText, parseNumberText } from '../../common/range';
import { h } from '../dom';

/** Where a failed command that concerns one field says why: beside it. */
export interface FieldErrors {
  fail(message: string): void;
}

export class FieldError implements FieldErrors {
  /** The message, placed by the panel beside (or under) its field; empty and hidden when all is well. */
  readonly el: HTMLElement;

  constructor(
    readonly input: HTMLInputElement | HTMLSelectElement,
    testid: string,
  ) {
    const id = `${testid}-error`;
    this.el = h('div', { class: 'field-error', id, testid: id, role: 'alert', hidden: true });
    input.setAttribute('aria-describedby', id);
    // Typing again is the answer to the message: it goes until the next check.
    input.addEventListener('input', () => this.clear());
  }

  fail(message: string): void {
    this.el.textContent = message;
    this.el.hidden = false;
    this.input.setAttribute('aria-invalid', 'true');
  }

  clear(): void {
    if (this.el.hidden) return;
    this.el.textContent = '';
    this.el.hidden = true;
    this.input.removeAttribute('aria-invalid');
  }
}

export interface NumberFieldOptions {
  /** What the field is called on screen: "Publish rate". Every message starts with it. */
  name: string;
  /** A rate may be fractional (2.5 msg/s); counts, ms and ports are whole numbers. */
  fractional?: boolean;
  /** The accessible name, when the visible label around the field is not enough ("×"). */
  ariaLabel?: string;
}

/** A number input bounded by a limits.ts range, with its error beside it. */
export class NumberField extends FieldError {
  declare readonly input: HTMLInputElement;

  constructor(
    testid: string,
    value: number,
    readonly range: IntRange,
    private readonly options: NumberFieldOptions,
  ) {
    const input = h('input', {
      type: 'number',
      value,
      min: range.min,
      max: range.max,
      // "any": 2.5 is a valid rate, not a step mismatch the browser would round on the spinner.
      step: options.fractional ? 'any' : 1,
      testid,
      class: 'num',
      'aria-label': options.ariaLabel,
    });
    super(input, testid);
  }

  /** The value in range, or null after saying beside the field why not. */
  read(): number | null {
    const { name, fractional } = this.options;
    const raw = this.input.value;
    if (raw.trim() === '') {
      // A number field hands over '' for text that is no number at all ("1e", "abc" pasted).
      const why = this.input.validity.badInput ? 'that is not a number' : 'it is empty';
      const words = fractional ? describeDecimalRange(this.range) : describeRange(this.range);
      this.fail(`${name} must be ${words} (${why})`);
      return null;
    }
    try {
      const value = (fractional ? parseNumberText : parseIntText)(name, raw, this.range);
      this.clear();
      return value;
    } catch (err) {
      if (!(err instanceof LoopscopeError)) throw err;
      this.fail(err.message);
      return null;
    }
  }
}
