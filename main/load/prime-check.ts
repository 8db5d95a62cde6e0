/**
 * The ws-prime clients' question pool: integers with answers known before they are sent, so a
 * client judges each reply with a lookup instead of a primality test per message. The answers come
 * from the engine's Miller–Rabin (main/engine/prime.ts), which its unit tests check against trial
 * division and published pseudoprimes; a second copy of the same algorithm here would share its
 * bugs rather than catch them.
 */
import { isPrime } from '../engine/prime';

export interface PrimeQuestion {
  /** The frame sent: may carry a sign or white space the server must strip. */
  text: string;
  /** The canonical decimal the server must echo in "n". */
  canonical: string;
  prime: boolean;
  /**
   * The answer as docs/protocol.md §4 prints it, `{"n":"<canonical>","prime":<bool>}`: a reply equal to
   * it is right without parsing; any other reply is parsed and judged field by field.
   */
  answer: string;
}

function question(text: string, canonical: string, prime: boolean): PrimeQuestion {
  return { text, canonical, prime, answer: JSON.stringify({ n: canonical, prime }) };
}

const LIMIT = 10n ** 24n;

function randomDigits(digits: number): bigint {
  let s = String(1 + Math.floor(Math.random() * 9));
  for (let i = 1; i < digits; i++) s += String(Math.floor(Math.random() * 10));
  return BigInt(s);
}

/**
 * A pool of questions with known answers, computed once: testing a 24-digit number costs about a
 * thousand BigInt multiplications, far too much to repeat for every one of 10,000 sends a second.
 * About a third are primes (found by stepping from a random odd start), the rest random integers of
 * 1 to 24 digits, a few negative or decorated with a sign and spaces.
 */
export function buildQuestionPool(size: number): PrimeQuestion[] {
  const pool: PrimeQuestion[] = [];
  for (let i = 0; i < size; i++) {
    const digits = 1 + Math.floor(Math.random() * 24);
    let n = randomDigits(digits);
    if (i % 3 === 0) {
      n |= 1n;
      // Prime gaps below 10^24 are far shorter than these bounds; step down if we crossed 24 digits.
      for (let step = 0; step < 10_000 && !isPrime(n); step++) n += 2n;
      if (n >= LIMIT) {
        n = LIMIT - 1n;
        for (let step = 0; step < 10_000 && !isPrime(n); step++) n -= 2n;
      }
    }
    const canonical = n.toString();
    if (i % 17 === 5) {
      pool.push(question(`-${canonical}`, `-${canonical}`, false));
    } else if (i % 13 === 7) {
      pool.push(question(`  +${canonical} `, canonical, isPrime(n)));
    } else {
      pool.push(question(canonical, canonical, isPrime(n)));
    }
  }
  return pool;
}
