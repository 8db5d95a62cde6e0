/** What every panel gets: the typed API, the app's current info, and a way to tell the user something. */
import type { AppInfo, LoopscopeApi } from '../../common/api';
import type { FieldErrors } from './fields';

export interface PanelContext {
  api: LoopscopeApi;
  info(): AppInfo | null;
  setInfo(info: AppInfo): void;
  notify(level: 'info' | 'warn' | 'error', message: string): void;
  /** Takes down the notice with this code, if one is shown (what it said is over). */
  dismiss(code: string): void;
  /**
   * Runs a command from a button: disables it meanwhile and reports a failure as a notice, or
   * beside `field` when the command set that field's value.
   */
  act<T>(
    button: HTMLButtonElement | null,
    task: () => Promise<T>,
    field?: FieldErrors,
  ): Promise<T | undefined>;
}
