// The panel's HTML: a static skeleton that the page (webview/main.ts) fills in. The extension host imports
// renderPanelHtml (no DOM or vscode needed) and passes asWebviewUri()s and a fresh nonce.
// CSP: nothing but our own nonce'd script and our own stylesheet; no inline style or script, no
// remote resources, no connections. chart.js sizes canvases through the CSSOM, which CSP allows.

export interface PanelHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** A fresh random nonce per render (base64 or alphanumeric). */
  nonce: string;
  /** webview.asWebviewUri(dist/webview.js) */
  scriptUri: string;
  /** webview.asWebviewUri(webview/panel.css) (shipped as dist/panel.css or similar) */
  styleUri: string;
  title: string;
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The Content-Security-Policy of the panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function chart(id: string, caption: string): string {
  return `<figure class="chart"><figcaption id="${id}-caption">${caption}</figcaption>` +
    `<div class="canvas-box"><canvas id="${id}" role="img" aria-labelledby="${id}-caption"></canvas></div></figure>`;
}

function figure(id: string, label: string): string {
  return `<div class="figure"><span class="figure-label">${label}</span><span class="figure-value" id="${id}">–</span></div>`;
}

export function renderPanelHtml(o: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new Error(`renderPanelHtml: nonce must be at least 16 base64/alphanumeric characters, got ${JSON.stringify(o.nonce)}`);
  const title = escapeHtml(o.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
<title>${title}</title>
</head>
<body data-state="idle">
<header class="toolbar">
  <h1 id="title">${title}</h1>
  <p id="status" role="status" aria-live="polite">Waiting for a run…</p>
  <p id="warning" role="alert" hidden></p>
  <p id="agents" role="status" hidden></p>
  <ul id="lost-segments" class="lost-segments" aria-label="Lost segments" hidden></ul>
  <div class="buttons" role="toolbar" aria-label="Run">
    <button id="stop" type="button" disabled>Stop</button>
    <button id="run-again" type="button" disabled>Run again</button>
    <button id="export" type="button" disabled>Export</button>
    <button id="toggle-table" type="button" aria-pressed="false" aria-controls="data-box">Table view</button>
  </div>
</header>
<nav id="scenarios" aria-label="Scenarios" hidden></nav>
<main id="live-view">
  <section class="figures" aria-label="Current figures">
    ${figure('p50', 'p50')}${figure('p90', 'p90')}${figure('p99', 'p99')}${figure('max', 'max')}
    ${figure('rps', 'req/s')}${figure('errors', 'errors')}${figure('vus', 'VUs')}${figure('requests', 'requests')}
  </section>
  <section class="grid charts" aria-label="Charts">
    ${chart('chart-latency', 'Latency over time (ms)')}
    ${chart('chart-throughput', 'Requests/s and errors/s')}
    ${chart('chart-vus', 'Active VUs, dropped and late iterations')}
    ${chart('chart-curve', 'Latency by percentile (HDR, log scale)')}
  </section>
  <section class="grid panels">
    <section aria-labelledby="thresholds-h"><h2 id="thresholds-h">Thresholds</h2><ul id="thresholds" class="verdicts"></ul></section>
    <section aria-labelledby="checks-h"><h2 id="checks-h">Checks</h2>
      <table id="checks"><thead><tr><th scope="col">check</th><th scope="col">passes</th><th scope="col">fails</th><th scope="col">rate</th></tr></thead><tbody></tbody></table></section>
    <section aria-labelledby="errors-h"><h2 id="errors-h">Errors by kind</h2>
      <table id="errors-by-kind"><thead><tr><th scope="col">kind</th><th scope="col">count</th></tr></thead><tbody></tbody></table></section>
    <section aria-labelledby="problems-h"><h2 id="problems-h">Messages</h2><ul id="problems" class="problems"></ul></section>
  </section>
  <section id="summary-box" aria-labelledby="summary-h" hidden>
    <h2 id="summary-h">Summary</h2>
    <table id="summary"><thead><tr><th scope="col">metric</th><th scope="col">values</th></tr></thead><tbody></tbody></table>
    <ul id="notes" class="notes"></ul>
  </section>
  <section id="data-box" class="visually-hidden" aria-labelledby="data-h">
    <h2 id="data-h">Per-second figures</h2>
    <table id="data-table"><thead><tr><th scope="col">time</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">max</th><th scope="col">req/s</th><th scope="col">errors/s</th><th scope="col">VUs</th><th scope="col">dropped/s</th><th scope="col">late</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<section id="compare-view" aria-labelledby="compare-h" hidden>
  <h2 id="compare-h">Comparison</h2>
  <button id="close-compare" type="button">Close comparison</button>
  ${chart('chart-compare', 'Latency by percentile, both runs')}
  <table id="compare-table"><thead><tr><th scope="col">figure</th><th scope="col" id="compare-a">A</th><th scope="col" id="compare-b">B</th><th scope="col">change</th></tr></thead><tbody></tbody></table>
</section>
<details id="history-box" hidden>
  <summary>Past runs</summary>
  <button id="compare-selected" type="button" disabled>Compare selected</button>
  <table id="history"><thead><tr><th scope="col">select</th><th scope="col">when</th><th scope="col">scenario</th><th scope="col">p99</th><th scope="col">req/s</th><th scope="col">result</th><th scope="col"></th></tr></thead><tbody></tbody></table>
</details>
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
