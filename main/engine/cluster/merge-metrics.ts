/**
 * /metrics over several server processes (docs/protocol.md §10): every process's own exposition, each
 * sample labelled `worker="N"`, merged family by family so each family has one HELP and one TYPE
 * (what `promtool check metrics` and Prometheus require). Per process rather than summed (prom-client's
 * AggregatorRegistry sums): the point of the demo is which process's loop is late.
 */

interface Family {
  head: string[];
  samples: string[];
}

/** Inserts the label into one sample line: `name{a="b"} 1` → `name{worker="2",a="b"} 1`. */
function labelled(line: string, label: string): string {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace >= 0 && brace < space) {
    const rest = line.slice(brace + 1);
    return `${line.slice(0, brace)}{${label}${rest.startsWith('}') ? '' : ','}${rest}`;
  }
  return `${line.slice(0, space)}{${label}}${line.slice(space)}`;
}

/** Splits one exposition into families (a family starts at its `# HELP`), in order. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  let current: Family | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP (\S+)/.exec(line);
    if (help) {
      current = out.get(help[1]!) ?? { head: [], samples: [] };
      if (current.head.length === 0) current.head.push(line);
      out.set(help[1]!, current);
      continue;
    }
    if (line.startsWith('#')) {
      if (current && !current.head.some((h) => h.split(' ')[1] === line.split(' ')[1]))
        current.head.push(line);
      continue;
    }
    current?.samples.push(line);
  }
  return out;
}

/** `parts`: each process's id and its own /metrics text. */
export function mergeMetrics(parts: { id: number; text: string }[]): string {
  const merged = new Map<string, Family>();
  for (const { id, text } of [...parts].sort((a, b) => a.id - b.id)) {
    const label = `worker="${id}"`;
    for (const [name, family] of families(text)) {
      const into = merged.get(name) ?? { head: family.head, samples: [] };
      into.samples.push(...family.samples.map((line) => labelled(line, label)));
      merged.set(name, into);
    }
  }
  return [...merged.values()].map((f) => [...f.head, ...f.samples].join('\n')).join('\n') + '\n';
}
