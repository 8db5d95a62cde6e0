/**
 * Turns whatever a command threw into the API's error shape. LoopscopeErrors keep their stable
 * code; anything else is a bug, so it is reported as `internal` with its message and logged in full.
 */
import type { ApiErrorShape } from '../../common/api';
import { isLoopscopeError } from '../../common/errors';

export function toApiError(err: unknown): ApiErrorShape {
  if (isLoopscopeError(err)) return { code: err.code, message: err.message };
  console.error('loopscope: command failed unexpectedly:', err);
  return { code: 'internal_error', message: err instanceof Error ? err.message : String(err) };
}
