/**
 * Errors with a stable machine-readable code (what tests and callers switch on), an HTTP status
 * where one applies, and a message for people. Modelled on fastify/undici errors.
 */
export class LoopscopeError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, status = 500, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LoopscopeError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export function isLoopscopeError(err: unknown): err is LoopscopeError {
  return err instanceof LoopscopeError;
}
