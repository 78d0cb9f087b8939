// warmcc stats panel, the page's side (the extension's side: extension/statsPanel.ts). Bundled by
// wrapper/build.mjs into dist/media/statsPanel.js and loaded by the static page of
// extension/statsPanelHtml.ts. Renders each `update` message into that page and posts `ready`
// and the buttons' actions back; the messages are typed in wrapper/contract/statsPanelMessages.ts.

import type { FromStatsPanelMessage, StatsUpdateMessage, ToStatsPanelMessage } from '../../wrapper/contract/statsPanelMessages';
import { renderChart } from './chart';
import { syncWithHost } from './clock';
import { byId } from './dom';
import { renderCache, renderHeader, renderTiles } from './summary';
import { refreshRecentTimes, renderDirectModeSkipped, renderLanguages, renderReasons, renderRecent, renderTiers } from './tables';

/** what the page shows: the last update without its `type`; kept in the webview's state, so a
 *  page shown again (or reloaded) draws it at once, before the extension's answer to `ready` */
type PanelModel = Omit<StatsUpdateMessage, 'type'>;

/** the API VS Code gives a webview page (once: a second call throws) */
interface VsCodeApi {
  postMessage(message: FromStatsPanelMessage): void;
  getState(): PanelModel | undefined;
  setState(state: PanelModel): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const TICK_MS = 5000;

const vscode = acquireVsCodeApi();
let model: PanelModel | undefined = vscode.getState() || undefined;

function render(): void {
  if (!model) return;
  const s = model.snapshot || undefined;
  byId('page').classList.toggle('no-data', !s);
  renderHeader(model.state, s);
  renderTiles(s);
  renderCache(s);
  renderTiers(s);
  renderLanguages(s);
  renderReasons(s);
  renderDirectModeSkipped(s);
  renderRecent(s);
  renderChart(model.history, !!model.snapshot);
}

/** The update as sent, with defaults for anything missing (the page trusts only its own types). */
function modelOf(message: StatsUpdateMessage): PanelModel {
  return {
    state: message.state || 'stopped',
    snapshot: message.snapshot || null,
    history: Array.isArray(message.history) ? message.history : [],
    now: Number(message.now) || Date.now(),
  };
}

window.addEventListener('message', (event: MessageEvent<ToStatsPanelMessage | undefined>) => {
  const message = event.data;
  if (!message || message.type !== 'update') return;
  model = modelOf(message);
  syncWithHost(model.now);
  vscode.setState(model);
  render();
});

const post = (type: FromStatsPanelMessage['type']) => (): void => vscode.postMessage({ type });
byId('start-server').addEventListener('click', post('startServer'));
byId('zero-stats').addEventListener('click', post('zeroStats'));
byId('clear-cache').addEventListener('click', post('clearCache'));

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    if (model) renderChart(model.history, !!model.snapshot);
  });
}).observe(byId('chart'));

// relative times ("5 s ago") and the chart's right edge move on without new messages
setInterval(() => {
  if (!model) return;
  refreshRecentTimes();
  renderChart(model.history, !!model.snapshot);
}, TICK_MS);

// a restored page shows its last state at once; the extension answers `ready` with fresh data
if (model) render();
vscode.postMessage({ type: 'ready' });
