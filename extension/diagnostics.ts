// Compiler warnings and errors in the Problems view, from every compile that went through this
// window's server, including those replayed from cache hits (no other compiler cache does this).
// Each compiled source owns the diagnostics its compile produced (they may point into headers);
// a new compile of that source replaces them, so a clean compile clears them.

import * as vscode from 'vscode';
import type { CompiledNotification } from '../wrapper/contract/rpc';
import type { WorkspaceServer } from './workspaceServer';

type Reported = CompiledNotification['diagnostics'][number];

const SEVERITY: Record<Reported['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  note: vscode.DiagnosticSeverity.Information,
};

function range(reported: Reported): vscode.Range {
  const line = Math.max(0, reported.line - 1);
  const column = Math.max(0, reported.column - 1);
  return new vscode.Range(line, column, line, column);
}

/** Notes ("declared here") belong to the warning or error before them. */
export function toDiagnostics(reported: Reported[]): { file: string; diagnostic: vscode.Diagnostic }[] {
  const result: { file: string; diagnostic: vscode.Diagnostic }[] = [];
  for (const item of reported) {
    const previous = result[result.length - 1];
    if (item.severity === 'note') {
      if (previous) {
        previous.diagnostic.relatedInformation = [
          ...(previous.diagnostic.relatedInformation ?? []),
          new vscode.DiagnosticRelatedInformation(new vscode.Location(vscode.Uri.file(item.file), range(item)), item.message),
        ];
      }
      continue;
    }
    const diagnostic = new vscode.Diagnostic(range(item), item.message, SEVERITY[item.severity]);
    diagnostic.source = 'warmcc';
    if (item.option) diagnostic.code = item.option;
    result.push({ file: item.file, diagnostic });
  }
  return result;
}

export class CompileDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('warmcc');
  private readonly bySource = new Map<string, { file: string; diagnostic: vscode.Diagnostic }[]>();

  update(event: CompiledNotification): void {
    const before = new Set((this.bySource.get(event.source) ?? []).map((entry) => entry.file));
    const now = toDiagnostics(event.diagnostics);
    if (now.length) this.bySource.set(event.source, now);
    else this.bySource.delete(event.source);
    for (const file of new Set([...before, ...now.map((entry) => entry.file)])) this.publish(file);
  }

  /** A file's diagnostics are the union over every source whose compile reported into it. */
  private publish(file: string): void {
    const seen = new Set<string>();
    const diagnostics: vscode.Diagnostic[] = [];
    for (const entries of this.bySource.values()) {
      for (const entry of entries) {
        if (entry.file !== file) continue;
        const identity = `${entry.diagnostic.range.start.line}:${entry.diagnostic.range.start.character}:${entry.diagnostic.severity}:${entry.diagnostic.message}`;
        if (seen.has(identity)) continue; // a header warning seen by several sources, once
        seen.add(identity);
        diagnostics.push(entry.diagnostic);
      }
    }
    this.collection.set(vscode.Uri.file(file), diagnostics);
  }

  dispose(): void {
    this.collection.dispose();
  }
}

export function activateDiagnostics(context: vscode.ExtensionContext, server: WorkspaceServer): CompileDiagnostics {
  const diagnostics = new CompileDiagnostics();
  context.subscriptions.push(
    diagnostics,
    server.onDidCompile((event) => diagnostics.update(event)),
  );
  return diagnostics;
}
