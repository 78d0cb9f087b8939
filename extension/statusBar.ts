// The status bar item: server state and hit rate at a glance; a click opens the stats panel.

import * as vscode from 'vscode';
import type { WorkspaceServer } from './workspaceServer';

export function formatCount(value: number): string {
  if (value < 1000) return String(value);
  if (value < 1_000_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}k`;
  return `${(value / 1_000_000).toFixed(1)}M`;
}

export function statusText(server: WorkspaceServer): string {
  const snapshot = server.snapshot;
  switch (server.state) {
    case 'starting':
      return '$(sync~spin) warmcc';
    case 'stopped':
      return '$(circle-slash) warmcc off';
    case 'running':
      if (!snapshot || snapshot.cacheHits + snapshot.cacheMisses === 0) return '$(database) warmcc ready';
      return `$(database) warmcc ${Math.round(snapshot.hitRate * 100)}% · ${formatCount(snapshot.cacheHits)} hits`;
  }
}

function tooltip(server: WorkspaceServer): vscode.MarkdownString {
  const s = server.snapshot;
  const text = new vscode.MarkdownString(undefined, true);
  if (server.state !== 'running' || !s) {
    text.appendMarkdown(`**warmcc** server ${server.state}. Builds still work; click for stats, or run *warmcc: Start Server*.`);
    return text;
  }
  const notCacheable = Object.values(s.notCacheable).reduce((sum, n) => sum + n, 0);
  text.appendMarkdown(`**warmcc** — ${(s.hitRate * 100).toFixed(1)}% hit rate\n\n`);
  text.appendMarkdown(
    `| | |\n|---|---:|\n| Hits | ${s.cacheHits} |\n| Misses | ${s.cacheMisses} |\n| Not cacheable | ${notCacheable} |\n| Compile failures | ${s.compileFailures} |\n| Time saved | ${(s.compileMsSaved / 1000).toFixed(1)} s |\n\n`,
  );
  text.appendMarkdown('Click for the stats panel.');
  return text;
}

export function activateStatusBar(context: vscode.ExtensionContext, server: WorkspaceServer): void {
  const item = vscode.window.createStatusBarItem('warmcc.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'warmcc';
  item.command = 'warmcc.showStats';
  const update = (): void => {
    item.text = statusText(server);
    item.tooltip = tooltip(server);
  };
  update();
  item.show();
  context.subscriptions.push(item, server.onDidChange(update));
}
