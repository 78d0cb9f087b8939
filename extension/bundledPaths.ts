// Where the wrapper lives inside the installed extension (the .vsix carries dist/ and bin/).
// A .vsix is a zip: it keeps neither symlinks nor, everywhere, exec bits. So the masquerade
// links are made at activation in the extension's storage, pointing at the bundled client.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BundledPaths {
  /** the client: native, or the Node client script where no C compiler built one */
  client: string;
  /** masquerade links (cc, gcc, ...) to put first on PATH */
  masqueradeDir: string;
}

export const MASQUERADE_NAMES = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++'];

export function bundledPaths(extensionPath: string, storagePath: string): BundledPaths {
  return {
    client: path.join(extensionPath, 'bin', 'warmcc'),
    masqueradeDir: path.join(storagePath, 'masq'),
  };
}

/** Makes the client executable and the masquerade links point at it; idempotent. */
export function prepareBundledClient(paths: BundledPaths): void {
  const mode = fs.statSync(paths.client).mode;
  if ((mode & 0o111) !== 0o111) fs.chmodSync(paths.client, mode | 0o755);
  fs.mkdirSync(paths.masqueradeDir, { recursive: true });
  for (const name of MASQUERADE_NAMES) {
    const link = path.join(paths.masqueradeDir, name);
    let current: string | undefined;
    try {
      current = fs.readlinkSync(link);
    } catch {
      current = undefined;
    }
    if (current === paths.client) continue;
    fs.rmSync(link, { force: true });
    fs.symlinkSync(paths.client, link);
  }
}
