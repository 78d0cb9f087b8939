// The extension's settings (package.json "contributes.configuration"; docs/configuration.md)
// and the server environment they translate to. One place, like wrapper/config/config.ts.

import * as vscode from 'vscode';

export interface ExtensionSettings {
  cacheDirectory: string;
  cacheSize: string;
  idleTimeout: number;
  autoStart: boolean;
  keepServerRunning: boolean;
  injectSocket: boolean;
  injectMasquerade: boolean;
  injectCmakeLauncher: boolean;
  logLevel: string;
  /** 'direct' (default), 'depend' or 'preprocessor' */
  cacheMode: string;
  baseDirs: string[];
  /** remote tiers after local disk, in order (WARMCC_REMOTE) */
  remote: string[];
}

/** settings a running server only picks up when it is restarted */
export const RESTART_SETTINGS = [
  'warmcc.cacheDirectory',
  'warmcc.cacheSize',
  'warmcc.idleTimeout',
  'warmcc.logLevel',
  'warmcc.mode',
  'warmcc.baseDirs',
  'warmcc.remote',
];
export const ENVIRONMENT_SETTINGS = ['warmcc.environment'];

export function readSettings(): ExtensionSettings {
  const config = vscode.workspace.getConfiguration('warmcc');
  return {
    cacheDirectory: config.get<string>('cacheDirectory', ''),
    cacheSize: config.get<string>('cacheSize', '10G'),
    idleTimeout: config.get<number>('idleTimeout', 0),
    autoStart: config.get<boolean>('autoStart', true),
    keepServerRunning: config.get<boolean>('keepServerRunning', false),
    injectSocket: config.get<boolean>('environment.socket', true),
    injectMasquerade: config.get<boolean>('environment.masquerade', true),
    injectCmakeLauncher: config.get<boolean>('environment.cmakeLauncher', true),
    logLevel: config.get<string>('logLevel', 'info'),
    cacheMode: config.get<string>('mode', 'direct'),
    baseDirs: config.get<string[]>('baseDirs', []),
    remote: config.get<string[]>('remote', []).filter((url) => typeof url === 'string' && url.trim() !== ''),
  };
}

/** WARMCC_* variables for a server started by the editor. */
export function serverEnvironment(settings: ExtensionSettings): Record<string, string> {
  const env: Record<string, string> = {
    WARMCC_CACHE_SIZE: settings.cacheSize,
    WARMCC_IDLE_TIMEOUT: String(settings.idleTimeout),
    WARMCC_LOG_LEVEL: settings.logLevel,
  };
  if (settings.cacheDirectory) env.WARMCC_DIR = settings.cacheDirectory;
  if (settings.cacheMode === 'preprocessor') env.WARMCC_DIRECT = '0';
  if (settings.cacheMode === 'depend') env.WARMCC_DEPEND = '1';
  // a terminal's own WARMCC_BASEDIRS still wins per compile
  if (settings.baseDirs.length) env.WARMCC_BASEDIRS = settings.baseDirs.join(':');
  // empty: a WARMCC_REMOTE in the editor's own environment still applies
  if (settings.remote.length) env.WARMCC_REMOTE = settings.remote.map((url) => url.trim()).join(' ');
  return env;
}
