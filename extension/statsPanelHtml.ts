// The stats panel's static page: layout and empty slots only. Its script, dist/media/statsPanel.js
// (built from media/statsPanel/), fills every value from the `update` messages, so the page never
// carries data (nothing to escape here) and never reloads while the panel is open.

export interface StatsPanelHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** a fresh random nonce per page */
  nonce: string;
  /** webview.asWebviewUri of dist/media/statsPanel.js and dist/media/statsPanel.css */
  scriptUri: string;
  styleUri: string;
}

function tile(id: string, label: string, testId?: string): string {
  const test = testId ? ` data-testid="${testId}"` : '';
  const subTest = testId ? ` data-testid="${testId}-sub"` : '';
  return `<div class="tile" id="tile-${id}">
        <div class="tile-label">${label}</div>
        <div class="tile-value" id="${id}"${test}>—</div>
        <div class="tile-sub" id="${id}-sub"${subTest}></div>
      </div>`;
}

export function statsPanelHtml(options: StatsPanelHtmlOptions): string {
  const { cspSource, nonce, scriptUri, styleUri } = options;
  const csp = ["default-src 'none'", `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`, `img-src ${cspSource} data:`, `font-src ${cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${styleUri}">
  <title>warmcc Stats</title>
</head>
<body>
  <main class="page" id="page" data-state="stopped">
    <header class="header">
      <div class="header-main">
        <h1 class="title">warmcc</h1>
        <span class="state" id="state-badge">
          <span class="state-dot" aria-hidden="true"></span>
          <span id="state" data-testid="state">stopped</span>
        </span>
        <span class="server-meta" id="server-meta"></span>
      </div>
      <div class="actions">
        <button type="button" class="button" id="start-server" data-testid="start-server" hidden>Start Server</button>
        <button type="button" class="button secondary" id="zero-stats" data-testid="zero-stats" title="Reset the counters of this workspace's server">Zero Stats</button>
        <button type="button" class="button secondary" id="clear-cache" data-testid="clear-cache" title="Remove every cached compile result">Clear Cache</button>
      </div>
    </header>

    <div class="notice" id="notice" role="status" hidden></div>

    <section class="summary" aria-label="Summary">
      <div class="tile tile-hit-rate" id="tile-hit-rate">
        <div class="tile-label">Hit rate</div>
        <div class="tile-value tile-value-big" id="hit-rate" data-testid="hit-rate">—</div>
        <div class="ratio" aria-hidden="true"><div class="ratio-hits" id="ratio-hits"></div></div>
        <div class="tile-sub" id="hit-rate-sub"></div>
      </div>
      <div class="tiles">
        ${tile('hits', 'Hits', 'hits')}
        ${tile('misses', 'Misses', 'misses')}
        ${tile('requests', 'Requests', 'requests')}
        ${tile('saved', 'Time saved', 'time-saved')}
        ${tile('not-cacheable', 'Not cacheable', 'not-cacheable')}
        ${tile('failures', 'Compile failures', 'compile-failures')}
        ${tile('avg-hit', 'Average hit', 'average-hit')}
        ${tile('avg-miss', 'Average miss', 'average-miss')}
      </div>
    </section>

    <section class="grid">
      <div class="card card-chart">
        <div class="card-head">
          <h2>Hits and misses this session</h2>
          <div class="legend" aria-hidden="true">
            <span class="legend-item"><span class="swatch swatch-hits"></span>Hits</span>
            <span class="legend-item"><span class="swatch swatch-misses"></span>Misses</span>
          </div>
        </div>
        <div class="chart" id="chart" data-testid="chart" role="img" aria-label="Cumulative cache hits and misses over time"></div>
      </div>

      <div class="card card-cache">
        <div class="card-head"><h2>Cache</h2></div>
        <div class="cache-bar" aria-hidden="true"><div class="cache-fill" id="cache-fill"></div></div>
        <div class="cache-size" id="cache-size" data-testid="cache-size">—</div>
        <dl class="facts">
          <dt>Used</dt><dd id="cache-used">—</dd>
          <dt>Average entry</dt><dd id="cache-average">—</dd>
          <dt>Location</dt><dd class="cache-dir" id="cache-dir">—</dd>
        </dl>
        <div class="cache-errors" id="cache-errors" data-testid="cache-errors" hidden></div>
      </div>

      <div class="card card-languages">
        <div class="card-head"><h2>Languages</h2></div>
        <table class="table" id="languages" data-testid="languages">
          <thead><tr><th scope="col">Language</th><th scope="col" class="num">Hits</th><th scope="col" class="num">Misses</th><th scope="col" class="num">Hit rate</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>

      <div class="card card-reasons">
        <div class="card-head"><h2>Not cacheable</h2></div>
        <table class="table" id="reasons" data-testid="reasons">
          <thead><tr><th scope="col">Reason</th><th scope="col" class="num">Count</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>

      <div class="card card-reasons" id="card-direct-skipped" hidden>
        <div class="card-head"><h2>Direct mode not used</h2></div>
        <table class="table" id="direct-skipped" data-testid="direct-skipped">
          <thead><tr><th scope="col">Reason (no manifest entry recorded)</th><th scope="col" class="num">Count</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>

      <div class="card card-tiers" id="card-tiers" hidden>
        <div class="card-head"><h2>Storage tiers</h2></div>
        <table class="table" id="tiers" data-testid="tiers">
          <thead><tr><th scope="col">Tier</th><th scope="col" class="num">Hits</th><th scope="col" class="num">Misses</th><th scope="col" class="num">Writes</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Timeouts</th><th scope="col" class="num">Read</th><th scope="col" class="num">Written</th><th scope="col" class="num">Avg read</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>

      <div class="card card-recent">
        <div class="card-head"><h2>Recent compiles</h2></div>
        <table class="table" id="recent" data-testid="recent">
          <thead><tr><th scope="col" class="col-file">File</th><th scope="col" class="col-language">Language</th><th scope="col" class="col-outcome">Outcome</th><th scope="col" class="num">Time</th><th scope="col" class="num">When</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
  </main>
  <script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
