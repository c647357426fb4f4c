// Markdown helpers for bench/RESULTS.md.
export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fmtInt(n) {
  return n == null || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-US');
}

export function fmtRatio(r) {
  return r == null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`;
}

export function fmtMs(n, digits = 1) {
  return n == null || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}
