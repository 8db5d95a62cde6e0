/**
 * Turns V8 positions (scriptId, 0-based line and column in the code V8 ran) into the position a
 * person edits: the file:// URL of the TypeScript source and 1-based line and column, through the
 * script's source map.
 *
 * Scripts are learnt from `Debugger.scriptParsed`, not from the frames: ESM frames carry an empty
 * `url`, and only scriptParsed says where a script's source map is (tsx inlines it as a data: URL;
 * electron-vite writes a .map file beside the bundle). A map is decoded the first time a stall
 * needs it, never while nothing stalls.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StallFrame } from '../../common/stalls';

interface ScriptInfo {
  url: string;
  sourceMapURL: string;
  /** undefined: not decoded yet; null: none, or unreadable. */
  map?: SourceMap | null;
}

export interface V8Position {
  scriptId: string;
  /** 0-based, in the script V8 ran. */
  lineNumber: number;
  columnNumber: number;
}

function readPayload(script: ScriptInfo): SourceMapPayload | null {
  const ref = script.sourceMapURL;
  if (ref.startsWith('data:')) {
    const comma = ref.indexOf(',');
    const meta = ref.slice(0, comma);
    const body = ref.slice(comma + 1);
    const text = meta.endsWith(';base64')
      ? Buffer.from(body, 'base64').toString('utf8')
      : decodeURIComponent(body);
    return JSON.parse(text) as SourceMapPayload;
  }
  if (!script.url.startsWith('file:')) return null;
  const mapUrl = new URL(ref, script.url);
  if (mapUrl.protocol !== 'file:') return null;
  return JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8')) as SourceMapPayload;
}

/** A source named by a map: an absolute path (tsx), a URL, or a path relative to the script. */
function sourceUrl(source: string, scriptUrl: string): string {
  if (/^[a-z]+:/i.test(source)) return source;
  if (source.startsWith('/')) return pathToFileURL(source).href;
  return new URL(source, scriptUrl).href;
}

export class ScriptCatalog {
  private readonly scripts = new Map<string, ScriptInfo>();

  add(scriptId: string, url: string, sourceMapURL: string | undefined): void {
    this.scripts.set(scriptId, { url, sourceMapURL: sourceMapURL ?? '' });
  }

  url(scriptId: string): string {
    return this.scripts.get(scriptId)?.url ?? '';
  }

  private mapOf(script: ScriptInfo): SourceMap | null {
    if (script.map === undefined) {
      try {
        const payload = script.sourceMapURL ? readPayload(script) : null;
        script.map = payload ? new SourceMap(payload) : null;
      } catch {
        // A broken or unreadable map: frames keep the position in the code V8 ran.
        script.map = null;
      }
    }
    return script.map;
  }

  /** One frame, source-mapped where the script has a map; lines and columns 1-based. */
  frame(functionName: string, pos: V8Position): StallFrame {
    const script = this.scripts.get(pos.scriptId);
    const name = functionName || '(anonymous)';
    if (!script)
      return {
        functionName: name,
        url: '',
        lineNumber: pos.lineNumber + 1,
        columnNumber: pos.columnNumber + 1,
      };
    const map = this.mapOf(script);
    if (map && pos.lineNumber >= 0) {
      const entry = map.findEntry(pos.lineNumber, Math.max(0, pos.columnNumber));
      if ('originalSource' in entry) {
        return {
          functionName: name,
          url: sourceUrl(entry.originalSource, script.url),
          lineNumber: entry.originalLine + 1,
          columnNumber: entry.originalColumn + 1,
        };
      }
    }
    return {
      functionName: name,
      url: script.url,
      lineNumber: pos.lineNumber + 1,
      columnNumber: pos.columnNumber + 1,
    };
  }
}
