// warmcc stats panel (webview side). Plain browser JS, no dependencies. Renders the extension's
// `update` messages ({type:'update', state, snapshot, history, now}) into the static page of
// extension/statsPanelHtml.ts; posts {type:'ready'|'startServer'|'zeroStats'|'clearCache'}.
// Every value goes into the DOM through textContent or attributes: file names come from builds.
(function () {
  'use strict';

  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const RECENT_LIMIT = 20;

  /** @type {{state: string, snapshot: any, history: {at:number,hits:number,misses:number}[], now: number} | undefined} */
  let model = vscode.getState() || undefined;
  /** extension host clock minus ours, so `at` fields and "now" agree */
  let clockSkew = 0;

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const key of Object.keys(attributes)) node.setAttribute(key, String(attributes[key]));
    return node;
  }

  function setText(id, text) {
    const node = $(id);
    if (node && node.textContent !== text) node.textContent = text;
  }

  // --- formatting -------------------------------------------------------------------------------

  function count(n) {
    return String(Math.round(Number(n) || 0));
  }

  function sum(record) {
    let total = 0;
    for (const key of Object.keys(record || {})) total += Number(record[key]) || 0;
    return total;
  }

  function percent(part, whole) {
    return whole > 0 ? ((part / whole) * 100).toFixed(1) + '%' : '—';
  }

  function bytes(n) {
    const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = Number(n) || 0;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    // whole bytes: an average entry size (used / entries) is fractional
    if (unit === 0) return Math.round(value) + (Math.round(value) === 1 ? ' byte' : ' bytes');
    return (value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '')) + ' ' + units[unit];
  }

  function milliseconds(ms) {
    if (!(ms > 0)) return '0 ms';
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 100) return ms.toFixed(1) + ' ms';
    if (ms < 10000) return Math.round(ms) + ' ms';
    return duration(ms);
  }

  function duration(ms) {
    const s = ms / 1000;
    if (s < 1) return Math.round(ms) + ' ms';
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + ' min ' + Math.floor(s % 60) + ' s';
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + ' h ' + (minutes % 60) + ' min';
    return Math.floor(hours / 24) + ' d ' + (hours % 24) + ' h';
  }

  /** compact, for the time-saved tile: 12.3 s, 20m 18s, 3h 05m, 2d 4h */
  function shortDuration(ms) {
    const s = ms / 1000;
    if (s < 1) return ms >= 1 ? Math.round(ms) + ' ms' : '0 s';
    if (s < 60) return duration(ms);
    const pad = (n) => String(n).padStart(2, '0');
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + 'm ' + pad(Math.floor(s % 60)) + 's';
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + 'h ' + pad(minutes % 60) + 'm';
    return Math.floor(hours / 24) + 'd ' + (hours % 24) + 'h';
  }

  function ago(at, now) {
    const s = Math.max(0, Math.round((now - at) / 1000));
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    const minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + ' min ago';
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + ' h ago';
    return Math.floor(hours / 24) + ' d ago';
  }

  function clock(at, withSeconds) {
    const date = new Date(at);
    const pad = (n) => String(n).padStart(2, '0');
    return pad(date.getHours()) + ':' + pad(date.getMinutes()) + (withSeconds ? ':' + pad(date.getSeconds()) : '');
  }

  function since(at) {
    const date = new Date(at);
    const today = new Date(now());
    if (date.toDateString() === today.toDateString()) return clock(at);
    return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ', ' + clock(at);
  }

  function now() {
    return Date.now() + clockSkew;
  }

  // --- header -----------------------------------------------------------------------------------

  function renderHeader(state, s) {
    $('page').dataset.state = state;
    setText('state', state);
    const meta = [];
    if (s && state !== 'stopped') {
      meta.push('pid ' + s.serverPid);
      // hits served on other cores too (docs/architecture.md, "Hit servers")
      if (s.hitServerPids && s.hitServerPids.length) meta.push(s.hitServerPids.length + (s.hitServerPids.length === 1 ? ' hit server' : ' hit servers'));
      meta.push('v' + s.version);
    }
    if (s && s.since) meta.push('counting since ' + since(s.since));
    setText('server-meta', meta.join(' \u00b7 '));

    $('start-server').hidden = state !== 'stopped';
    $('start-server').disabled = state !== 'stopped';
    const running = state === 'running';
    $('zero-stats').disabled = !running;
    $('clear-cache').disabled = !running;

    const notice = $('notice');
    let text = '';
    if (state === 'stopped') {
      text = s
        ? 'The warmcc server is stopped. These are the last stats it reported; builds still work, without the cache.'
        : 'The warmcc server is not running. Start it to cache this workspace\u2019s compiles.';
    } else if (state === 'starting') {
      text = 'Starting the warmcc server\u2026';
    }
    notice.hidden = !text;
    if (notice.textContent !== text) notice.textContent = text;
  }

  // --- tiles ------------------------------------------------------------------------------------

  function renderTiles(s) {
    if (!s) {
      for (const id of ['hit-rate', 'hits', 'misses', 'requests', 'saved', 'not-cacheable', 'failures', 'avg-hit', 'avg-miss']) {
        setText(id, '—');
        setText(id + '-sub', '');
      }
      $('ratio-hits').style.width = '0%';
      $('page').classList.add('no-lookups');
      $('tile-failures').classList.remove('attention');
      return;
    }
    const hits = Number(s.cacheHits) || 0;
    const misses = Number(s.cacheMisses) || 0;
    const lookups = hits + misses;
    setText('hit-rate', ((Number(s.hitRate) || 0) * 100).toFixed(1) + '%');
    setText('hit-rate-sub', lookups ? count(hits) + ' of ' + count(lookups) + ' cache lookups' : 'no cache lookups yet');
    $('ratio-hits').style.width = (lookups ? (hits / lookups) * 100 : 0).toFixed(2) + '%';
    $('page').classList.toggle('no-lookups', !lookups);

    setText('hits', count(hits));
    // direct hits skipped the preprocessor; preprocessed hits ran it to find the result
    setText('hits-sub', hits ? count(s.directHits) + ' direct, ' + count(s.preprocessedHits) + ' preprocessed' : 'from cache');
    setText('misses', count(misses));
    const recaches = Number(s.forcedRecaches) || 0;
    setText('misses-sub', recaches ? count(recaches) + (recaches === 1 ? ' forced recache' : ' forced recaches') : 'compiled, stored');
    setText('requests', count(s.compileRequests));
    setText('requests-sub', 'compiler calls');
    const saved = Number(s.compileMsSaved) || 0;
    setText('saved', shortDuration(saved));
    setText('saved-sub', 'of compiling');
    $('saved').title = duration(saved);
    const notCacheable = sum(s.notCacheable);
    setText('not-cacheable', count(notCacheable));
    setText('not-cacheable-sub', notCacheable ? 'run uncached' : 'none');
    const failures = Number(s.compileFailures) || 0;
    setText('failures', count(failures));
    setText('failures-sub', failures ? 'compiler errors' : 'none');
    $('tile-failures').classList.toggle('attention', failures > 0);
    const averageHit = Number(s.averageHitMs) || 0;
    const averageMiss = Number(s.averageMissMs) || 0;
    setText('avg-hit', hits ? milliseconds(averageHit) : '—');
    setText('avg-hit-sub', hits && misses && averageHit > 0 && averageMiss > averageHit ? speedup(averageMiss / averageHit) + ' faster than a miss' : 'per hit');
    setText('avg-miss', misses ? milliseconds(averageMiss) : '—');
    setText('avg-miss-sub', 'compile + store');
  }

  function speedup(factor) {
    return (factor >= 10 ? Math.round(factor) : factor.toFixed(1)) + '\u00d7';
  }

  // --- cache ------------------------------------------------------------------------------------

  function renderCache(s) {
    const fill = $('cache-fill');
    const errors = $('cache-errors');
    if (!s) {
      setText('cache-size', '—');
      setText('cache-used', '—');
      setText('cache-average', '—');
      setText('cache-dir', '—');
      fill.style.width = '0%';
      errors.hidden = true;
      return;
    }
    const used = Number(s.cacheBytes) || 0;
    const limit = Number(s.cacheLimitBytes) || 0;
    const ratio = limit > 0 ? Math.min(1, used / limit) : 0;
    fill.style.width = (ratio * 100).toFixed(2) + '%';
    fill.classList.toggle('full', ratio >= 0.9);
    const entries = Number(s.cacheEntries) || 0;
    setText('cache-size', bytes(used) + (limit > 0 ? ' of ' + bytes(limit) : '') + ', ' + count(entries) + (entries === 1 ? ' entry' : ' entries'));
    setText('cache-used', limit > 0 ? ((used / limit) * 100).toFixed(1) + '%' : '—');
    setText('cache-average', entries ? bytes(used / entries) : '—');
    setText('cache-dir', s.cacheDir || '—');
    $('cache-dir').title = s.cacheDir || '';

    const parts = [];
    if (s.cacheReadErrors) parts.push(count(s.cacheReadErrors) + (s.cacheReadErrors === 1 ? ' read error' : ' read errors'));
    if (s.cacheWriteErrors) parts.push(count(s.cacheWriteErrors) + (s.cacheWriteErrors === 1 ? ' write error' : ' write errors'));
    if (s.corruptEntries) parts.push(count(s.corruptEntries) + (s.corruptEntries === 1 ? ' corrupt entry' : ' corrupt entries'));
    if (s.internalErrors) parts.push(count(s.internalErrors) + (s.internalErrors === 1 ? ' server error' : ' server errors'));
    errors.hidden = parts.length === 0;
    setText('cache-errors', parts.join(' · '));
  }

  // --- tables -----------------------------------------------------------------------------------

  function emptyRow(tbody, columns, text) {
    const row = el('tr', 'empty');
    const cell = el('td', undefined, text);
    cell.colSpan = columns;
    row.appendChild(cell);
    tbody.appendChild(row);
  }

  function replaceBody(tableId) {
    const table = $(tableId);
    const tbody = document.createElement('tbody');
    table.replaceChild(tbody, table.tBodies[0]);
    return tbody;
  }

  function renderLanguages(s) {
    const tbody = replaceBody('languages');
    const hitsBy = (s && s.hitsByLanguage) || {};
    const missesBy = (s && s.missesByLanguage) || {};
    const languages = Array.from(new Set(Object.keys(hitsBy).concat(Object.keys(missesBy))));
    const total = (language) => (Number(hitsBy[language]) || 0) + (Number(missesBy[language]) || 0);
    languages.sort((a, b) => total(b) - total(a) || a.localeCompare(b));
    if (!languages.length) {
      emptyRow(tbody, 4, s ? 'No cacheable compiles yet.' : '—');
      return;
    }
    for (const language of languages) {
      const hits = Number(hitsBy[language]) || 0;
      const misses = Number(missesBy[language]) || 0;
      const row = document.createElement('tr');
      row.appendChild(el('td', 'language', language));
      row.appendChild(el('td', 'num', count(hits)));
      row.appendChild(el('td', 'num', count(misses)));
      row.appendChild(el('td', 'num', percent(hits, hits + misses)));
      tbody.appendChild(row);
    }
  }

  function renderReasons(s) {
    const tbody = replaceBody('reasons');
    const reasons = Object.entries((s && s.notCacheable) || {}).filter((entry) => Number(entry[1]) > 0);
    reasons.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (!reasons.length) {
      emptyRow(tbody, 2, !s ? '—' : s.compileRequests ? 'Every compile was cacheable.' : 'No compiles yet.');
      return;
    }
    const top = Number(reasons[0][1]) || 1;
    for (const [reason, n] of reasons) {
      const row = document.createElement('tr');
      const cell = el('td', 'reason');
      const label = el('span', 'reason-text', reason);
      label.title = reason;
      cell.appendChild(label);
      const bar = el('span', 'reason-bar');
      bar.style.width = ((Number(n) / top) * 100).toFixed(1) + '%';
      cell.appendChild(bar);
      row.appendChild(cell);
      row.appendChild(el('td', 'num', count(n)));
      tbody.appendChild(row);
    }
  }

  /** Local disk and the remote tiers (shown when a remote tier is configured). Names arrive
   *  from the server with credentials already masked. */
  function renderTiers(s) {
    const tiers = (s && Array.isArray(s.tiers) && s.tiers) || [];
    $('card-tiers').hidden = tiers.length < 2;
    const tbody = replaceBody('tiers');
    for (const tier of tiers) {
      const row = document.createElement('tr');
      const cell = el('td', 'tier');
      cell.appendChild(el('span', 'tier-name', String(tier.name)));
      cell.title = String(tier.name);
      const notes = [];
      if (tier.readOnly) notes.push('read-only');
      if (tier.circuit && tier.circuit !== 'closed') notes.push('circuit ' + tier.circuit);
      if (tier.corrupt) notes.push(count(tier.corrupt) + ' corrupt');
      if (tier.skippedOpenCircuit) notes.push(count(tier.skippedOpenCircuit) + ' skipped');
      if (notes.length) cell.appendChild(el('span', 'tier-notes', notes.join(' · ')));
      row.appendChild(cell);
      for (const n of [tier.hits, tier.misses, tier.writes, tier.errors, tier.timeouts]) row.appendChild(el('td', 'num', count(Number(n) || 0)));
      row.appendChild(el('td', 'num', bytes(Number(tier.bytesRead) || 0)));
      row.appendChild(el('td', 'num', bytes(Number(tier.bytesWritten) || 0)));
      row.appendChild(el('td', 'num', Number(tier.hits) + Number(tier.misses) ? milliseconds(Number(tier.averageReadMs) || 0) : '—'));
      tbody.appendChild(row);
    }
  }

  const OUTCOME_CLASS = {
    hit: 'hit',
    miss: 'miss',
    'not cacheable': 'not-cacheable',
    'compile failed': 'failed',
    error: 'error',
  };

  function fileCell(file) {
    const cell = el('td', 'file');
    const text = String(file || '');
    cell.title = text;
    const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
    // long paths lose their start, not the file name: an rtl box around one ltr-isolated run
    const wrapper = el('span', 'file-path');
    const inner = el('span', 'file-inner');
    if (slash >= 0) inner.appendChild(el('span', 'file-dir', text.slice(0, slash + 1)));
    inner.appendChild(el('span', 'file-name', text.slice(slash + 1)));
    wrapper.appendChild(inner);
    cell.appendChild(wrapper);
    return cell;
  }

  function renderRecent(s) {
    const tbody = replaceBody('recent');
    const recent = ((s && s.recent) || []).slice(-RECENT_LIMIT).reverse();
    if (!recent.length) {
      emptyRow(tbody, 5, s ? 'No compiles yet. Build through warmcc and they show up here.' : '—');
      return;
    }
    const current = now();
    for (const entry of recent) {
      const row = document.createElement('tr');
      row.appendChild(fileCell(entry.file));
      row.appendChild(el('td', 'language muted', entry.language || ''));
      const outcome = el('td', 'outcome');
      const pill = el('span', 'pill ' + (OUTCOME_CLASS[entry.outcome] || 'error'), entry.outcome);
      outcome.appendChild(pill);
      if (entry.reason) {
        const reason = el('span', 'outcome-reason', entry.reason);
        reason.title = entry.reason;
        outcome.appendChild(reason);
      }
      row.appendChild(outcome);
      const timed = entry.outcome === 'hit' || entry.outcome === 'miss' || entry.outcome === 'compile failed';
      row.appendChild(el('td', 'num', timed ? milliseconds(Number(entry.ms)) : '—'));
      const when = el('td', 'num muted when', ago(entry.at, current));
      when.dataset.at = String(entry.at);
      when.title = new Date(entry.at).toLocaleString();
      row.appendChild(when);
      tbody.appendChild(row);
    }
  }

  // --- chart ------------------------------------------------------------------------------------

  function niceMax(value) {
    if (value <= 4) return 4;
    const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) {
      if (step * magnitude >= value) return step * magnitude;
    }
    return 10 * magnitude;
  }

  function renderChart(history) {
    const container = $('chart');
    const points = (history || []).filter((p) => p && Number.isFinite(p.at));
    const any = points.some((p) => p.hits > 0 || p.misses > 0);
    container.replaceChildren();
    if (!any) {
      container.classList.add('chart-empty');
      container.appendChild(
        el('div', 'chart-empty-text', model && model.snapshot ? 'No compiles yet this session. Hits and misses appear here as you build.' : 'No data while the server is stopped.'),
      );
      return;
    }
    container.classList.remove('chart-empty');

    const width = Math.max(240, Math.floor(container.clientWidth));
    const height = Math.max(120, Math.floor(container.clientHeight) || 180);
    const pad = { left: 40, right: 12, top: 10, bottom: 22 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;

    const end = Math.max(now(), points[points.length - 1].at);
    let start = points[0].at;
    if (end - start < 60000) start = end - 60000;
    const maxY = niceMax(Math.max(...points.map((p) => Math.max(p.hits, p.misses))));
    const x = (t) => pad.left + ((t - start) / (end - start)) * plotW;
    const y = (v) => pad.top + plotH - (v / maxY) * plotH;

    const root = svg('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, class: 'chart-svg' });

    for (let i = 0; i <= 4; i++) {
      const value = (maxY / 4) * i;
      const gy = Math.round(y(value)) + 0.5;
      root.appendChild(svg('line', { x1: pad.left, x2: width - pad.right, y1: gy, y2: gy, class: i === 0 ? 'axis' : 'gridline' }));
      if (i % 2 === 0) {
        const label = svg('text', { x: pad.left - 6, y: gy + 4, class: 'tick', 'text-anchor': 'end' });
        label.textContent = value >= 10000 ? Math.round(value / 1000) + 'k' : String(Math.round(value));
        root.appendChild(label);
      }
    }
    const startLabel = svg('text', { x: pad.left, y: height - 6, class: 'tick', 'text-anchor': 'start' });
    // spans under ten minutes would repeat the same minute: show seconds
    const withSeconds = end - start < 10 * 60 * 1000;
    startLabel.textContent = clock(start, withSeconds);
    root.appendChild(startLabel);
    const endLabel = svg('text', { x: width - pad.right, y: height - 6, class: 'tick', 'text-anchor': 'end' });
    endLabel.textContent = 'now';
    root.appendChild(endLabel);
    const middle = svg('text', { x: pad.left + plotW / 2, y: height - 6, class: 'tick', 'text-anchor': 'middle' });
    middle.textContent = clock((start + end) / 2, withSeconds);
    root.appendChild(middle);

    // step lines: the counters hold their value until the next sample
    function series(key, className) {
      let line = '';
      let previous;
      for (const p of points) {
        const px = x(p.at).toFixed(1);
        const py = y(p[key]).toFixed(1);
        line += previous === undefined ? 'M' + px + ',' + py : 'H' + px + 'V' + py;
        previous = py;
      }
      line += 'H' + x(end).toFixed(1);
      const area = line + 'V' + y(0).toFixed(1) + 'H' + x(points[0].at).toFixed(1) + 'Z';
      root.appendChild(svg('path', { d: area, class: 'area ' + className }));
      root.appendChild(svg('path', { d: line, class: 'line ' + className }));
      const last = points[points.length - 1];
      root.appendChild(svg('circle', { cx: x(end).toFixed(1), cy: y(last[key]).toFixed(1), r: 3, class: 'dot ' + className }));
    }
    series('misses', 'misses');
    series('hits', 'hits');

    const last = points[points.length - 1];
    const title = svg('title', {});
    title.textContent = count(last.hits) + ' hits, ' + count(last.misses) + ' misses';
    root.appendChild(title);
    container.appendChild(root);
  }

  // --- wiring -----------------------------------------------------------------------------------

  function render() {
    if (!model) return;
    const s = model.snapshot || undefined;
    $('page').classList.toggle('no-data', !s);
    renderHeader(model.state, s);
    renderTiles(s);
    renderCache(s);
    renderTiers(s);
    renderLanguages(s);
    renderReasons(s);
    renderRecent(s);
    renderChart(model.history);
  }

  /** relative times age without new messages */
  function tick() {
    if (!model) return;
    const current = now();
    for (const cell of document.querySelectorAll('#recent td.when')) {
      const text = ago(Number(cell.dataset.at), current);
      if (cell.textContent !== text) cell.textContent = text;
    }
    renderChart(model.history);
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || message.type !== 'update') return;
    model = {
      state: String(message.state || 'stopped'),
      snapshot: message.snapshot || null,
      history: Array.isArray(message.history) ? message.history : [],
      now: Number(message.now) || Date.now(),
    };
    clockSkew = model.now - Date.now();
    vscode.setState(model);
    render();
  });

  const post = (type) => () => vscode.postMessage({ type });
  $('start-server').addEventListener('click', post('startServer'));
  $('zero-stats').addEventListener('click', post('zeroStats'));
  $('clear-cache').addEventListener('click', post('clearCache'));

  let resizeFrame = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => model && renderChart(model.history));
  }).observe($('chart'));
  setInterval(tick, 5000);

  // a restored page shows its last state at once; the extension answers `ready` with fresh data
  if (model) render();
  vscode.postMessage({ type: 'ready' });
})();
