/**
 * The typed API is declared once (common/api.ts) and validated on arrival by every shell. These
 * tests pin the declaration: every command accepts a good payload and refuses bad ones with a
 * stable code, unknown names are refused, and the IPC channels are derived and distinct.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, EVENT_NAMES, ipcChannel, isCommandName, type CommandName } from '../../common/api';
import { commandSchemas, validateCommand } from '../../common/api-schemas';
import { SAMPLE_INTERVAL_MS } from '../../common/limits';

const GOOD: Record<CommandName, unknown[]> = {
  getInfo: [{}, undefined],
  setServerPort: [{ port: 0 }, { port: 8888 }, { port: 65_535 }],
  setServerWorkers: [{ count: 1 }, { count: 2 }, { count: 64 }],
  killServerWorker: [{}, undefined],
  setTarget: [{ url: 'http://127.0.0.1:9000' }, { url: null }],
  load: [
    { type: 'spawn', kind: 'ws-prime', count: 500 },
    { type: 'spawn', kind: 'http', count: 2, rampPerS: 10, options: { path: '/slow', slowMs: 50 } },
    { type: 'stop', kind: 'sse', count: 1 },
    { type: 'stopAll' },
    { type: 'publishRate', perS: 10 },
    { type: 'jobRate', perS: 5 },
    { type: 'restartMeasurement' },
    { type: 'configure', kind: 'ws-prime', options: { intervalMs: 100 } },
    { type: 'target', url: 'http://127.0.0.1:8888' },
  ],
  enqueueJobs: [
    { count: 1, workMs: 0 },
    { count: 100_000, workMs: 10_000 },
  ],
  setWorkers: [{ workers: 1 }, { workers: 1000 }],
  runBcrypt: [
    { cost: 4, mode: 'loop' },
    { cost: 14, mode: 'pool' },
  ],
  setSampleInterval: [{ ms: SAMPLE_INTERVAL_MS.min }, { ms: SAMPLE_INTERVAL_MS.max }],
  setStallThreshold: [{ thresholdMs: 20 }, { thresholdMs: 5_000 }],
  listProcesses: [{}, undefined],
  watchProcess: [{ pid: 1 }, { pid: 4_194_304, stallMs: 100 }],
  unwatchProcess: [{}, undefined],
  recordingMeta: [{}, undefined],
  stallProfile: [
    { source: 'server', id: 1 },
    { source: 'watch', pid: 4242, id: 100 },
  ],
  heapSnapshot: [
    { source: 'server' },
    { source: 'server', dir: '/tmp' },
    { source: 'watch', pid: 4242, dir: '/home/me/snapshots' },
  ],
};

const BAD: Record<CommandName, unknown[]> = {
  getInfo: [{ extra: 1 }, 'x', 42],
  setServerPort: [
    {},
    { port: -1 },
    { port: 65_536 },
    { port: 1.5 },
    { port: '8888' },
    { port: 1, host: 'x' },
  ],
  setServerWorkers: [
    {},
    { count: 0 },
    { count: 65 },
    { count: 1.5 },
    { count: '2' },
    { count: 2, redis: 'x' },
  ],
  killServerWorker: [{ id: 1 }, 'x'],
  setTarget: [{}, { url: 'not a url' }, { url: 42 }],
  load: [
    {},
    { type: 'spawn', kind: 'telnet', count: 1 },
    { type: 'spawn', kind: 'ws-prime', count: 0 },
    { type: 'spawn', kind: 'ws-prime', count: 100_001 },
    { type: 'stop', kind: 'sse' },
    { type: 'publishRate', perS: -1 },
    { type: 'explode' },
    { type: 'stopAll', extra: true },
    { type: 'restartMeasurement', kind: 'http' },
  ],
  enqueueJobs: [
    { count: 0, workMs: 0 },
    { count: 100_001, workMs: 0 },
    { count: 1, workMs: 10_001 },
    { count: 1 },
  ],
  setWorkers: [{ workers: 0 }, { workers: 1001 }, { workers: 'four' }],
  runBcrypt: [{ cost: 3, mode: 'loop' }, { cost: 15, mode: 'pool' }, { cost: 10, mode: 'gpu' }, { cost: 10 }],
  setSampleInterval: [{ ms: SAMPLE_INTERVAL_MS.min - 1 }, { ms: SAMPLE_INTERVAL_MS.max + 1 }, { ms: 500.5 }],
  setStallThreshold: [{ thresholdMs: 19 }, { thresholdMs: 5_001 }, { thresholdMs: 100.5 }, {}],
  listProcesses: [{ all: true }],
  // A pid only: no command line, no expression, no inspector address a user could type.
  watchProcess: [
    {},
    { pid: 0 },
    { pid: -1 },
    { pid: 1.5 },
    { pid: '123' },
    { pid: 4_194_305 },
    { pid: 123, expression: 'process.exit()' },
    { pid: 123, inspect: '10.0.0.1:9229' },
    { pid: 123, stallMs: 1 },
  ],
  unwatchProcess: [{ pid: 1 }],
  recordingMeta: [{ file: '/etc/passwd' }, 'meta'],
  stallProfile: [
    {},
    { id: 1 },
    { source: 'server', id: 0 },
    { source: 'server', id: 1.5 },
    { source: 'server', id: '1' },
    { source: 'server', id: 1, pid: 4242 },
    { source: 'watch', id: 1 },
    { source: 'watch', pid: 0, id: 1 },
    { source: 'file', id: 1 },
  ],
  heapSnapshot: [
    {},
    { source: 'server', dir: '' },
    { source: 'server', dir: 42 },
    { source: 'server', dir: '/tmp/a\u0000b' },
    { source: 'server', dir: `/${'x'.repeat(5000)}` },
    // The page names a directory, never the file.
    { source: 'server', file: '/tmp/x.heapsnapshot' },
    { source: 'watch', dir: '/tmp' },
  ],
};

describe('API declaration', () => {
  it('names every command once and tests every one of them', () => {
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    expect([...COMMAND_NAMES].sort()).toEqual(Object.keys(commandSchemas).sort());
    expect(Object.keys(GOOD).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(BAD).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it('derives distinct IPC channels for every command and event', () => {
    const channels = [...COMMAND_NAMES.map(ipcChannel.command), ...EVENT_NAMES.map(ipcChannel.event)];
    expect(new Set(channels).size).toBe(channels.length);
    for (const channel of channels) expect(channel).toMatch(/^loopscope:(cmd|evt):[a-zA-Z]+$/);
  });

  it('recognises only declared command names, not inherited properties', () => {
    expect(isCommandName('getInfo')).toBe(true);
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 42, null]) {
      expect(isCommandName(name)).toBe(false);
    }
  });
});

describe('validateCommand', () => {
  for (const name of COMMAND_NAMES) {
    it(`${name}: accepts good payloads`, () => {
      for (const payload of GOOD[name]) {
        const result = validateCommand(name, payload);
        expect(result, JSON.stringify(payload)).toMatchObject({ ok: true, name });
      }
    });

    it(`${name}: refuses bad payloads with bad_payload`, () => {
      for (const payload of BAD[name]) {
        const result = validateCommand(name, payload);
        expect(result.ok, JSON.stringify(payload)).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('bad_payload');
          expect(result.error.message).toContain(name);
        }
      }
    });
  }

  it('fills declared defaults', () => {
    const result = validateCommand('load', { type: 'spawn', kind: 'sse', count: 3 });
    expect(result.ok && result.payload).toEqual({ type: 'spawn', kind: 'sse', count: 3, rampPerS: 0 });
  });

  it('refuses unknown or malformed command names with unknown_command', () => {
    for (const name of [
      'deleteEverything',
      'toString',
      '__proto__',
      '',
      undefined,
      null,
      7,
      { name: 'getInfo' },
    ]) {
      const result = validateCommand(name, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('unknown_command');
    }
  });

  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const odd: unknown[] = [cyclic, [], new Date(), Symbol('x'), () => 1, Number.NaN, 10n];
    for (const payload of odd) {
      for (const name of COMMAND_NAMES) expect(() => validateCommand(name, payload)).not.toThrow();
    }
  });
});
