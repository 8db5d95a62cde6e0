/**
 * The report carries text from the server under test (function names, URLs, summaries): none of it
 * may become markup or end the page's data block. Built from a real recording's shape, with hostile
 * names, through the same model and page code as `npm run report`.
 */
import { describe, expect, it } from 'vitest';
import { RECORDING_FORMAT, RECORDING_VERSION, type Recording } from '../../common/recording';
import { escapeHtml, jsonForScript } from '../../common/report/html-text';
import { reportHtml } from '../../main/report/report-html';
import { reportModel } from '../../common/report/report-model';

const HOSTILE = '</script><img src=x onerror=alert(1)>';

function recording(): Recording {
  const t0 = 1_764_000_000_000;
  return {
    meta: {
      type: 'meta',
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      source: 'load',
      startedAt: t0,
      loopscope: { version: '0.1.0', commit: null },
      commandLine: ['loopscope', 'load', HOSTILE],
      target: 'http://127.0.0.1:1',
      machine: { cores: 2, memoryBytes: 2 ** 34, os: 'linux', arch: 'x64', node: 'v20' },
      intervalMs: 250,
    },
    windows: [],
    samples: [],
    stalls: [
      {
        type: 'stall',
        time: t0 + 1000,
        profile: null,
        stall: {
          id: 1,
          startedAt: t0 + 1000,
          durationMs: 300,
          detectedAfterMs: 100,
          stackFrom: 'profile',
          process: 'server',
          frames: [
            { functionName: HOSTILE, url: `file:///srv/${HOSTILE}.js`, lineNumber: 3, columnNumber: 1 },
          ],
          hot: [],
        },
      },
    ],
    diagnoses: [],
    markers: [],
    thresholds: null,
    summary: { type: 'summary', time: t0 + 5000, report: null, ok: false, note: HOSTILE },
  };
}

describe('report escaping', () => {
  it('escapes text for markup, and < in the data block', () => {
    expect(escapeHtml(`a<b>&"'`)).toBe('a&lt;b&gt;&amp;&quot;&#39;');
    expect(jsonForScript({ name: HOSTILE })).not.toContain('<');
    expect(JSON.parse(jsonForScript({ name: HOSTILE }))).toEqual({ name: HOSTILE });
  });

  it('a hostile function name, note and command line stay text in the page', () => {
    const html = reportHtml([reportModel('run', recording())]);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Only the page's own three script blocks: none opened or closed by the data.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });
});
