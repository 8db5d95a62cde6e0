import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { inspectorPortsFrom, splitNodeOptions } from '../../main/attach/inspector-ports';

const from = (args: string[], nodeOptions: string | null = null) =>
  inspectorPortsFrom(['/usr/bin/node', ...args], nodeOptions);

describe('where a Node process can open its inspector', () => {
  test('9229 unless an option says otherwise', () => {
    expect(from(['server.js'])).toEqual({ port: 9229, named: [9229] });
    expect(from(['--inspect', 'server.js'])).toEqual({ port: 9229, named: [9229] });
    expect(from(['--inspect=localhost', 'server.js'])).toEqual({ port: 9229, named: [9229] });
    expect(from(['--inspect=[::1]', 'server.js'])).toEqual({ port: 9229, named: [9229] });
  });

  test('every form of --inspect, --inspect-port and --debug-port', () => {
    for (const [args, port] of [
      [['--inspect=9300'], 9300],
      [['--inspect=127.0.0.1:9301'], 9301],
      [['--inspect=[::1]:9302'], 9302],
      [['--inspect-brk=9303'], 9303],
      [['--inspect-wait=localhost:9304'], 9304],
      [['--inspect-port=9305'], 9305],
      [['--inspect-port', '127.0.0.1:9306'], 9306],
      [['--debug-port=9307'], 9307],
      [['--inspect_port=9308'], 9308],
    ] as const) {
      expect(from([...args, 'server.js']), args.join(' ')).toEqual({ port, named: [9229, port] });
    }
  });

  test('port 0 is a random port: none is known', () => {
    expect(from(['--inspect=0', 'a.js'])).toEqual({ port: 0, named: [9229] });
    expect(from(['--inspect-port=127.0.0.1:0', 'a.js'])).toEqual({ port: 0, named: [9229] });
  });

  test("the program's own arguments after the script are not node's", () => {
    expect(from(['server.js', '--inspect=9400'])).toEqual({ port: 9229, named: [9229] });
    expect(from(['--', 'server.js', '--inspect=9400']).port).toBe(9229);
    // A value of a value-taking option is not the script: the scan goes on past it.
    expect(from(['--import', 'tsx', '--inspect=9401', 'server.ts']).port).toBe(9401);
    expect(from(['-r', 'dotenv/config', '--inspect-port', '9402', 'a.js']).port).toBe(9402);
    // Code given to -e is not read as options, and node's options go on after it.
    expect(from(['-e', 'void "--inspect=9403"', '--inspect-port=9404']).port).toBe(9404);
    // A value never starts with '-' (node refuses that): -p is then print mode, and goes on.
    expect(from(['-p', '--inspect-port=9406']).port).toBe(9406);
    expect(from(['-e', '', '--inspect-port=9405']).port).toBe(9405);
  });

  test('NODE_OPTIONS first, the command line after it, the last setting wins', () => {
    expect(from(['a.js'], '--inspect=127.0.0.1:9500')).toEqual({ port: 9500, named: [9229, 9500] });
    expect(from(['--inspect-port=9502', 'a.js'], '--inspect=9501')).toEqual({
      port: 9502,
      named: [9229, 9501, 9502],
    });
    expect(from(['a.js'], '--require "./x y.js" --inspect-port 9503').port).toBe(9503);
    expect(from(['a.js'], '--inspect=0').port).toBe(0);
  });

  test('NODE_OPTIONS is split as node splits it', () => {
    expect(splitNodeOptions('  --a  --b=1 ')).toEqual(['--a', '--b=1']);
    expect(splitNodeOptions('--require "./my dir/x.js" --title="a \\"b\\""')).toEqual([
      '--require',
      './my dir/x.js',
      '--title=a "b"',
    ]);
    expect(splitNodeOptions('')).toEqual([]);
  });

  test('agrees with node itself on the port in force', () => {
    // process.debugPort is where node opens its inspector on SIGUSR1 or inspector.open().
    for (const [args, nodeOptions] of [
      [['--inspect-port=9601'], '--inspect-port=9600'],
      [['--import', 'node:os', '--debug-port', '127.0.0.1:9602'], ''],
      [['-e', 'void "--inspect-port=1"', '--inspect-port=9603'], ''],
      [[], '--require "node:os" --inspect-port=9604'],
      [['--inspect-port=9605'], '--inspect-port=0'],
    ] as const) {
      const node = Number(
        execFileSync(process.execPath, [...args, '-p', 'process.debugPort'], {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: nodeOptions },
        }),
      );
      expect(from([...args, 'x.js'], nodeOptions).port, `${nodeOptions} ${args.join(' ')}`).toBe(node);
    }
  });
});
