/**
 * Where a Node process's inspector can listen, read from its own command line and NODE_OPTIONS,
 * so that looking for inspectors asks only those ports and never the user's own servers.
 *
 * Node's rules (node 20 docs, CLI options): `--inspect[=[host:]port]`, `--inspect-brk`,
 * `--inspect-wait` open it at start; `--inspect-port`/`--debug-port` set where SIGUSR1 or
 * `inspector.open()` open it later; without any of them that is 127.0.0.1:9229. Port 0 means a
 * random free port. NODE_OPTIONS is read first and the command line after it, the last setting
 * winning; a value-taking option may also take its value as the next argument, unless that
 * starts with '-' (node then refuses to start, or, for -p, reads it as an option).
 *
 * Not knowable from outside: `inspector.open(port)` with a port in code, or `process.debugPort`
 * set at runtime before SIGUSR1. Such an inspector is not found by the listing.
 */
import { DEFAULT_INSPECTOR_PORT } from '../../common/limits';

export interface InspectorPorts {
  /** The port the inspector listens (or would listen) on; 0: a random one, unknown from outside. */
  port: number;
  /** Every port the options named, and 9229: an inspector can only be on one of these. */
  named: number[];
}

/** Options whose value is the port, in `--opt=value` or `--opt value` form. */
const PORT_OPTIONS = new Set(['--inspect-port', '--debug-port']);
/** Options that open the inspector; their value (only after `=`) is optional. */
const OPEN_OPTIONS = new Set(['--inspect', '--inspect-brk', '--inspect-wait', '--inspect-brk-node']);
/**
 * Node options that take their value as the next argument when written without `=`: skipped with
 * it, so that the value is not read as the script (which ends node's own options). An option
 * missing here makes the scan stop early: the inspector it would have found then shows as
 * closed, and nothing is asked that should not be.
 */
const VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-e',
  '--eval',
  '-p',
  '--print',
  '-pe',
  '-C',
  '--conditions',
  '--input-type',
  '--title',
  '--env-file',
  '--experimental-default-type',
  '--experimental-policy',
  '--policy-integrity',
  '--icu-data-dir',
  '--openssl-config',
  '--tls-cipher-list',
  '--tls-keylog',
  '--secure-heap',
  '--secure-heap-min',
  '--heapsnapshot-signal',
  '--heapsnapshot-near-heap-limit',
  '--diagnostic-dir',
  '--report-dir',
  '--report-directory',
  '--report-filename',
  '--report-signal',
  '--redirect-warnings',
  '--trace-event-categories',
  '--trace-event-file-pattern',
  '--unhandled-rejections',
  '--dns-result-order',
  '--max-http-header-size',
  '--disable-warning',
  '--watch-path',
  '--cpu-prof-dir',
  '--cpu-prof-name',
  '--cpu-prof-interval',
  '--heap-prof-dir',
  '--heap-prof-name',
  '--heap-prof-interval',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-shard',
  '--snapshot-blob',
  '--build-snapshot-config',
  '--inspect-publish-uid',
  '--use-largepages',
  '--security-revert',
  '--v8-pool-size',
  '--stack-size',
  '--localstorage-file',
  '--experimental-sea-config',
  '--run',
]);

/** Node's own host:port parsing: "9230", "host", "host:9230", "[::1]:9230", "[::1]". */
function portOf(value: string): number | null {
  if (value.startsWith('[') && value.endsWith(']')) return DEFAULT_INSPECTOR_PORT;
  const colon = value.lastIndexOf(':');
  const port = colon === -1 ? value : value.slice(colon + 1);
  if (!/^\d+$/.test(port)) return colon === -1 ? DEFAULT_INSPECTOR_PORT : null; // a host alone
  const n = Number(port);
  return n <= 65_535 ? n : null;
}

/**
 * NODE_OPTIONS split as node splits it: on spaces, with double quotes grouping and a backslash
 * inside quotes escaping the next character.
 */
export function splitNodeOptions(text: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) c = text[++i]!;
    else if (c === ' ' && !quoted) {
      if (current !== null) out.push(current);
      current = null;
      continue;
    } else if (c === '"') {
      quoted = !quoted;
      current ??= '';
      continue;
    }
    current = (current ?? '') + c;
  }
  if (current !== null) out.push(current);
  return out;
}

/**
 * The inspector settings in a list of node options, in order: each port set (0 included). With
 * `stopAtScript`, the list is a command line after the executable, and the first argument that is
 * not an option (the script, `-`, or after `--`) ends node's options: what follows is the
 * program's own.
 */
function portSettings(args: string[], stopAtScript: boolean): number[] {
  const ports: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-' || !arg.startsWith('-')) {
      if (stopAtScript) break;
      continue;
    }
    const eq = arg.indexOf('=');
    // Node accepts `_` for `-` in option names (--inspect_port).
    const written = eq === -1 ? arg : arg.slice(0, eq);
    const name = written.startsWith('--') ? written.replaceAll('_', '-') : written;
    const inline = eq === -1 ? null : arg.slice(eq + 1);
    const next = args[i + 1];
    const separateValue = inline === null && next !== undefined && !next.startsWith('-');
    if (OPEN_OPTIONS.has(name) || PORT_OPTIONS.has(name)) {
      const value = inline ?? (PORT_OPTIONS.has(name) && separateValue ? args[++i]! : null);
      const port = value === null ? null : portOf(value);
      if (port !== null) ports.push(port);
    } else if (separateValue && VALUE_OPTIONS.has(name)) i++;
  }
  return ports;
}

/** Where the inspector of a process with this command line and NODE_OPTIONS can be. */
export function inspectorPortsFrom(argv: string[], nodeOptions: string | null): InspectorPorts {
  const settings = [
    ...portSettings(splitNodeOptions(nodeOptions ?? ''), false),
    ...portSettings(argv.slice(1), true),
  ];
  const named = [DEFAULT_INSPECTOR_PORT, ...settings.filter((p) => p !== 0)];
  return { port: settings.at(-1) ?? DEFAULT_INSPECTOR_PORT, named: [...new Set(named)] };
}
