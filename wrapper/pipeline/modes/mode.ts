// How a compile is looked up: the strategy of each mode (docs/architecture.md). Preprocessor mode
// keys the preprocessed text; direct mode first tries a manifest of the source's includes, without
// running the preprocessor; depend mode also compiles its misses without one.

import type { CompileContext } from '../context';
import type { CompileJob, Lookup, ManifestMiss } from '../stages';
import { DependMode } from './dependMode';
import { DirectMode } from './directMode';
import { PreprocessorMode } from './preprocessorMode';

export type ModeName = 'preprocessor' | 'direct' | 'depend';

export interface LookupMode {
  readonly name: ModeName;
  /** A hit to restore, or how the miss is compiled and keyed (and what it records). */
  lookUp(job: CompileJob): Promise<Lookup>;
}

/** A mode that looks manifests up first. A hit server runs only that first part and hands a
 *  miss over to the main server with what it found, which goes on from there. */
export interface ManifestMode extends LookupMode {
  /** the lookup after the manifest had nothing to serve */
  afterManifestMiss(job: CompileJob, miss: ManifestMiss): Promise<Lookup>;
}

const MODES = { preprocessor: new PreprocessorMode(), direct: new DirectMode(), depend: new DependMode() } as const;

export function modeFor(context: Pick<CompileContext, 'directMode' | 'dependMode'>): LookupMode | ManifestMode {
  if (context.dependMode) return MODES.depend;
  return context.directMode ? MODES.direct : MODES.preprocessor;
}

export function isManifestMode(mode: LookupMode): mode is ManifestMode {
  return 'afterManifestMiss' in mode;
}
