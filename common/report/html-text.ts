/**
 * Text that goes into the report page from a recording: a function name, a URL, a summary. All of
 * it came from a server under test and is untrusted: it is escaped for where it lands.
 */

/** For element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` or `<!--`
 * in the data can end the block, and the two line separators JavaScript once choked on.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}
