// Untrusted text on its way to a person: check names, tags, threshold keys, error messages,
// server-supplied strings and scenario console output. A terminal (and VS Code's test output,
// which is one) obeys control characters, so a check name holding `ESC ] 0 ; title BEL` would
// retitle the user's terminal, and `ESC [ 2 J` would clear it. Every output boundary (the CLI,
// the summary text, the extension's output channel and Test Explorer) escapes data with these
// two functions, and only data: our own colour sequences are added after escaping.
//
// Escaped, as a visible escape: C0 controls (\n, \r, \t and \xNN for the others), DEL (\x7f),
// C1 controls (\u0080-\u009f: \u009b is a one-byte CSI to many terminals), lone surrogates,
// Unicode line and paragraph separators, and bidirectional overrides and isolates (they reorder
// what is shown: "Trojan source"). Backslashes are not escaped: Windows paths stay readable, at
// the cost of `\x1b` written literally looking like an escaped ESC.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** The same set, except newline and tab (multi-line text keeps its layout). */
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * A single-line field (a check name, a tag, a metric key, a scenario name, a file name) with
 * every control character shown as a visible escape: a newline too, so one field is one line.
 */
export function escapeControl(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, visible) : text;
}

/**
 * Multi-line text (an error message, a stack, a log line, console output): as escapeControl,
 * but newlines and tabs are kept, and so is the carriage return of a CRLF line end.
 */
export function escapeControlLines(text: string): string {
  UNSAFE_IN_LINES.lastIndex = 0;
  if (!UNSAFE_IN_LINES.test(text)) return text;
  return text.replace(UNSAFE_IN_LINES, (c, offset: number, whole: string) => (c === '\r' && whole[offset + 1] === '\n' ? c : visible(c)));
}
