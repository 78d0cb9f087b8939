// The live chart: cumulative hits and misses of this session as step lines over time (SVG),
// from the extension's samples (StatsHistoryPoint). Redrawn on every update, on resize and every
// few seconds (its right edge is "now").

import type { StatsHistoryPoint } from '../../wrapper/contract/statsPanelMessages';
import { formatCount } from '../../wrapper/contract/format';
import { clockTime, now } from './clock';
import { byId, el, svg } from './dom';

const PAD = { left: 40, right: 12, top: 10, bottom: 22 };
/** the shortest span shown, so a few samples do not fill the whole width */
const MIN_SPAN_MS = 60_000;

/** the axis maximum: 4, or a round number (1, 2, 2.5, 5 × a power of ten) above the value */
function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

/** `serverKnown`: whether the server has reported stats (the empty chart says why it is empty) */
export function renderChart(history: StatsHistoryPoint[], serverKnown: boolean): void {
  const container = byId('chart');
  const points = history.filter((p) => p && Number.isFinite(p.at));
  const any = points.some((p) => p.hits > 0 || p.misses > 0);
  container.replaceChildren();
  if (!any) {
    container.classList.add('chart-empty');
    container.appendChild(
      el(
        'div',
        'chart-empty-text',
        serverKnown ? 'No compiles yet this session. Hits and misses appear here as you build.' : 'No data while the server is stopped.',
      ),
    );
    return;
  }
  container.classList.remove('chart-empty');
  const first = points[0]!;
  const last = points[points.length - 1]!;

  const width = Math.max(240, Math.floor(container.clientWidth));
  const height = Math.max(120, Math.floor(container.clientHeight) || 180);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;

  const end = Math.max(now(), last.at);
  let start = first.at;
  if (end - start < MIN_SPAN_MS) start = end - MIN_SPAN_MS;
  const maxY = niceMax(Math.max(...points.map((p) => Math.max(p.hits, p.misses))));
  const x = (t: number): number => PAD.left + ((t - start) / (end - start)) * plotW;
  const y = (v: number): number => PAD.top + plotH - (v / maxY) * plotH;

  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart-svg' });

  for (let i = 0; i <= 4; i++) {
    const value = (maxY / 4) * i;
    const gy = Math.round(y(value)) + 0.5;
    root.appendChild(svg('line', { x1: PAD.left, x2: width - PAD.right, y1: gy, y2: gy, class: i === 0 ? 'axis' : 'gridline' }));
    if (i % 2 === 0) {
      const label = svg('text', { x: PAD.left - 6, y: gy + 4, class: 'tick', 'text-anchor': 'end' });
      label.textContent = value >= 10000 ? `${Math.round(value / 1000)}k` : String(Math.round(value));
      root.appendChild(label);
    }
  }
  // spans under ten minutes would repeat the same minute: show seconds
  const withSeconds = end - start < 10 * 60 * 1000;
  const timeLabel = (at: number, text: string, anchor: 'start' | 'middle' | 'end'): void => {
    const label = svg('text', { x: at, y: height - 6, class: 'tick', 'text-anchor': anchor });
    label.textContent = text;
    root.appendChild(label);
  };
  timeLabel(PAD.left, clockTime(start, withSeconds), 'start');
  timeLabel(width - PAD.right, 'now', 'end');
  timeLabel(PAD.left + plotW / 2, clockTime((start + end) / 2, withSeconds), 'middle');

  // step lines: the counters hold their value until the next sample
  const series = (key: 'hits' | 'misses'): void => {
    let line = '';
    let previous: string | undefined;
    for (const p of points) {
      const px = x(p.at).toFixed(1);
      const py = y(p[key]).toFixed(1);
      line += previous === undefined ? `M${px},${py}` : `H${px}V${py}`;
      previous = py;
    }
    line += `H${x(end).toFixed(1)}`;
    const area = `${line}V${y(0).toFixed(1)}H${x(first.at).toFixed(1)}Z`;
    root.appendChild(svg('path', { d: area, class: `area ${key}` }));
    root.appendChild(svg('path', { d: line, class: `line ${key}` }));
    root.appendChild(svg('circle', { cx: x(end).toFixed(1), cy: y(last[key]).toFixed(1), r: 3, class: `dot ${key}` }));
  };
  series('misses');
  series('hits');

  const title = svg('title', {});
  title.textContent = `${formatCount(last.hits)} hits, ${formatCount(last.misses)} misses`;
  root.appendChild(title);
  container.appendChild(root);
}
