// Where the wrapper lives inside the installed extension (the .vsix carries dist/ and bin/).

import * as path from 'node:path';

export interface BundledPaths {
  /** the client: native, or the Node client script where no C compiler built one */
  client: string;
  /** masquerade links (cc, gcc, ...) to put first on PATH */
  masqueradeDir: string;
  serverScript: string;
}

export function bundledPaths(extensionPath: string): BundledPaths {
  return {
    client: path.join(extensionPath, 'bin', 'warmcc'),
    masqueradeDir: path.join(extensionPath, 'bin', 'masq'),
    serverScript: path.join(extensionPath, 'dist', 'server.js'),
  };
}
