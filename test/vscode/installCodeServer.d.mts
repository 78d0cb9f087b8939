// Types of installCodeServer.mjs for the TypeScript harness files.

export declare const CODE_SERVER_VERSION: string;
export declare const repoRoot: string;
export declare const codeServerPrefix: string;
export declare const chromiumPath: string;
export declare function codeServerEntry(prefix?: string): string;
export declare function missingPrerequisites(options?: { forInstall?: boolean }): string[];
export declare function ensureCodeServer(options?: {
  prefix?: string;
  log?: (line: string) => void;
  /** run `code-server --version` even when already installed */
  verify?: boolean;
}): { entry: string; prefix: string; version: string; installed: boolean };
