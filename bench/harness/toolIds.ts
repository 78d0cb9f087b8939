// The cache tools the bench can measure, in the order their rows appear.
//
// warmcc: preprocessor mode (WARMCC_DIRECT=0); warmcc-direct: the default direct mode;
// warmcc-depend: depend mode (WARMCC_DEPEND=1); warmcc-remote: direct mode with a Redis tier
// (WARMCC_REMOTE) on a redis-server the bench starts on loopback, whose warm rows start from an
// empty local cache each time (remote hits + write-back); warmcc-stored: direct mode with entries
// stored uncompressed (WARMCC_COMPRESSION_LEVEL=0); warmcc-deflate: direct mode with deflate
// entries instead of the default LZ4 (WARMCC_COMPRESSION=deflate). Each has its own server and cache.

export type WarmccToolId = 'warmcc' | 'warmcc-direct' | 'warmcc-depend' | 'warmcc-stored' | 'warmcc-deflate' | 'warmcc-remote';
export type ToolId = WarmccToolId | 'ccache' | 'sccache';

export const ALL_TOOLS: readonly ToolId[] = [
  'warmcc',
  'warmcc-direct',
  'warmcc-depend',
  'warmcc-stored',
  'warmcc-deflate',
  'warmcc-remote',
  'ccache',
  'sccache',
];

/** variants run by the warmcc binary, each with its own server */
export const WARMCC_VARIANTS: readonly ToolId[] = ['warmcc-direct', 'warmcc-depend', 'warmcc-stored', 'warmcc-deflate', 'warmcc-remote'];
