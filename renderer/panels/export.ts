/** Saves the session's samples (CSV, JSON) and charts (PNG) through an ordinary download. */
export function download(filename: string, content: string | Blob, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy once click() returns; a later revoke just frees memory.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Decodes a base64 data URL (chart.toBase64Image) locally: the CSP gives fetch no data: access. */
export function downloadDataUrl(filename: string, dataUrl: string): void {
  const [head, base64 = ''] = dataUrl.split(',', 2);
  const type = /^data:([^;]+)/.exec(head ?? '')?.[1] ?? 'application/octet-stream';
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  download(filename, new Blob([bytes], { type }));
}

export function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}
