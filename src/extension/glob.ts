// Minimal glob matching for `files.exclude` patterns (the extension bundles no glob library).
// Supports what those settings use: `**`, `*`, `?`, `{a,b}` and `[...]`.

/** A RegExp matching workspace-relative paths ('/'-separated) against a glob. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let inGroup = false;
  while (i < glob.length) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      re += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 3 : 2;
      continue;
    }
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') { re += '(?:'; inGroup = true; }
    else if (c === '}' && inGroup) { re += ')'; inGroup = false; }
    else if (c === ',' && inGroup) re += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close > i) { re += `[${glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`; i = close + 1; continue; }
      re += '\\[';
    } else re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
    i++;
  }
  // A pattern matching a folder excludes everything under it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** True when `relativePath` is excluded by any enabled pattern (values `true`; `when` clauses count as on). */
export function isExcluded(relativePath: string, excludes: Record<string, unknown>): boolean {
  const path = relativePath.replace(/\\/g, '/');
  if (/(^|\/)node_modules\//.test(path)) return true;
  return Object.entries(excludes).some(([glob, on]) => on !== false && globToRegExp(glob).test(path));
}
