// warmcc: Show Stats — one webview panel with the server's counters, a live chart of hits and
// misses, the cache size and the most recent compiles. The page (statsPanelHtml.ts) is static;
// its script, dist/media/statsPanel.js (built from media/statsPanel/), renders everything from
// `update` messages.
//
// Messages (both ways, typed in wrapper/contract/statsPanelMessages.ts): the page posts `ready` on
// load (answered with an update) and `startServer`, `zeroStats`, `clearCache` from its buttons;
// the extension posts `update` on every server.onDidChange, throttled to one per
// UPDATE_INTERVAL_MS, and only while the panel is visible (a hidden panel's page is discarded;
// it says `ready` again when shown).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isFromStatsPanelMessage, type FromStatsPanelMessage, type ToStatsPanelMessage } from '../wrapper/contract/statsPanelMessages';
import { statsPanelHtml } from './statsPanelHtml';
import type { WorkspaceServer } from './workspaceServer';

const VIEW_TYPE = 'warmcc.stats';
const UPDATE_INTERVAL_MS = 250;

class StatsPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private lastPost = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly server: WorkspaceServer,
    webviewRoot: vscode.Uri,
    private readonly onDispose: () => void,
  ) {
    const webview = panel.webview;
    webview.html = statsPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'statsPanel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'statsPanel.css')).toString(),
    });
    this.disposables.push(
      server.onDidChange(() => this.scheduleUpdate()),
      webview.onDidReceiveMessage((message: unknown) => {
        if (isFromStatsPanelMessage(message)) void this.handle(message);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** At most one update per UPDATE_INTERVAL_MS: the first change goes out at once, a burst ends
   *  with one trailing update carrying the latest state. */
  private scheduleUpdate(): void {
    if (this.timer || this.disposed) return;
    const wait = this.lastPost + UPDATE_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      this.postUpdate();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.postUpdate();
    }, wait);
  }

  private postUpdate(force = false): void {
    if (this.disposed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // a hidden panel has no page (retainContextWhenHidden: false); it asks again when shown
    if (!force && !this.panel.visible) return;
    this.lastPost = Date.now();
    const message: ToStatsPanelMessage = {
      type: 'update',
      state: this.server.state,
      snapshot: this.server.snapshot ?? null,
      history: this.server.history,
      now: Date.now(),
    };
    void this.panel.webview.postMessage(message);
  }

  /** Buttons run the palette commands, so both report success and failure the same way. */
  private async handle(message: FromStatsPanelMessage): Promise<void> {
    if (message.type === 'ready') {
      this.postUpdate(true);
      return;
    }
    const command = { startServer: 'warmcc.startServer', zeroStats: 'warmcc.zeroStats', clearCache: 'warmcc.clearCache' }[message.type];
    await vscode.commands.executeCommand(command);
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onDispose();
    // disposing the panel fires onDidDispose again: `disposed` makes that a no-op
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

export function activateStatsPanel(context: vscode.ExtensionContext, server: WorkspaceServer): void {
  // the page's script and style, as wrapper/build.mjs puts them; the page may load nothing else
  const webviewRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'media');
  let current: StatsPanel | undefined;

  context.subscriptions.push(
    vscode.commands.registerCommand('warmcc.showStats', () => {
      if (server.state === 'running') server.refresh().catch(() => undefined);
      if (current) {
        current.reveal();
        return;
      }
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'warmcc Stats', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [webviewRoot],
        retainContextWhenHidden: false,
      });
      const created = new StatsPanel(panel, server, webviewRoot, () => {
        if (current === created) current = undefined;
      });
      current = created;
    }),
    { dispose: () => current?.dispose() },
  );
}
