/**
 * ws-prime: each client sends an integer every intervalMs (0 = hold the connection idle) and checks
 * every answer against the verdict and canonical form known before it was sent (prime-check.ts's
 * question pool, answered once by the engine's Miller–Rabin and tested against an independent one).
 * Scheduling, ordering and round trips are ws-request-kind.ts's, as for ws-echo.
 */
import { buildQuestionPool, type PrimeQuestion } from '../prime-check';
import type { Target } from '../target';
import { WsRequestKind, type WsRequestClient } from '../ws-request-kind';

const QUESTION_POOL_SIZE = 1024;

let questionPool: PrimeQuestion[] | null = null;
/** Builds the question pool (~0.2 s of BigInt work); the child does it before reporting ready. */
export function questions(): PrimeQuestion[] {
  questionPool ??= buildQuestionPool(QUESTION_POOL_SIZE);
  return questionPool;
}

export class WsPrimeKind extends WsRequestKind<PrimeQuestion> {
  constructor(target: Target, connectTimeoutMs: number) {
    super('ws-prime', target, connectTimeoutMs);
  }

  protected url(): string {
    return `${this.target.wsBase}/ws/prime`;
  }

  protected message(
    _c: WsRequestClient<PrimeQuestion>,
    _due: number,
  ): { text: string; expected: PrimeQuestion } {
    const pool = questions();
    const question = pool[Math.floor(Math.random() * pool.length)]!;
    return { text: question.text, expected: question };
  }

  protected isRight(text: string | null, q: PrimeQuestion): boolean {
    return text !== null && isRightAnswer(text, q);
  }
}

export function isRightAnswer(text: string, q: PrimeQuestion): boolean {
  if (text === q.answer) return true;
  // Spaced or reordered JSON is still a right answer: judge the fields.
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return false; // not JSON at all: the server answered wrongly
  }
  if (typeof reply !== 'object' || reply === null) return false;
  const r = reply as { n?: unknown; prime?: unknown };
  return r.n === q.canonical && r.prime === q.prime;
}
