/**
 * The server the simulated clients point at, parsed once. Only loopback targets are allowed unless
 * the caller opts in: a load generator aimed at someone else's machine is a denial-of-service tool.
 */
import { isIP } from 'node:net';
import { LoopscopeError } from '../../common/errors';

export interface Target {
  /** Normalised base URL without a trailing slash, e.g. http://127.0.0.1:8888 */
  readonly httpBase: string;
  readonly wsBase: string;
  readonly hostname: string;
  readonly port: number;
  /** Path prefix of the base URL ('' for a server at the root), for option-object requests. */
  readonly basePath: string;
  /**
   * Source addresses to spread connections over (127.0.0.1..127.0.0.N), so one source address
   * does not run out of ephemeral ports; null when the target is not an IPv4 loopback literal or
   * the OS does not route all of 127/8 to lo (only Linux does by default).
   */
  readonly localAddresses: readonly string[] | null;
}

/** 16 source addresses × ~28k ephemeral ports each is far beyond what one fd limit allows. */
const SOURCE_ADDRESSES = 16;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::ffff:127.0.0.1';
}

export function parseTarget(url: string, allowNonLoopback = false): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LoopscopeError(
      'bad_target',
      `target "${url}" is not a URL (expected e.g. http://127.0.0.1:8888)`,
      { url },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'ws:') {
    throw new LoopscopeError('bad_target', `target "${url}" must be an http:// (or ws://) URL`, {
      url,
    });
  }
  if (!allowNonLoopback && !isLoopbackHost(parsed.hostname)) {
    throw new LoopscopeError(
      'non_loopback_target',
      `refusing to load "${parsed.hostname}": only loopback targets (127.0.0.0/8, ::1, localhost) are allowed`,
      { url, hostname: parsed.hostname },
    );
  }
  const port = parsed.port === '' ? 80 : Number(parsed.port);
  const hostPart = parsed.host; // keeps [::1] brackets and the port
  const path = parsed.pathname.replace(/\/+$/, '');
  const useSources =
    process.platform === 'linux' && isIP(parsed.hostname) === 4 && parsed.hostname.startsWith('127.');
  return {
    httpBase: `http://${hostPart}${path}`,
    wsBase: `ws://${hostPart}${path}`,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    basePath: path,
    localAddresses: useSources
      ? Array.from({ length: SOURCE_ADDRESSES }, (_, i) => `127.0.0.${i + 1}`)
      : null,
  };
}

/** Round-robin over the target's source addresses; undefined lets the OS choose. */
export class SourceAddresses {
  private next = 0;
  constructor(private readonly target: Target) {}

  take(): string | undefined {
    const list = this.target.localAddresses;
    if (!list) return undefined;
    const addr = list[this.next % list.length];
    this.next = (this.next + 1) % list.length;
    return addr;
  }
}
