// The optional configuration file, `$WARMCC_DIR/warmcc.conf`: `key = value` lines, `#` comments,
// for the settings the server reads (ccache's ccache.conf idea). The environment overrides the
// file. Settings the native client reads itself (cache directory, socket, log, start timeout,
// disable) are environment-only: the client never reads this file, so they are refused here.

import * as fs from 'node:fs';

export const CONFIG_FILE_NAME = 'warmcc.conf';

/** file key → the environment variable it stands for */
const FILE_KEYS: Record<string, string> = {
  cache_size: 'WARMCC_CACHE_SIZE',
  idle_timeout: 'WARMCC_IDLE_TIMEOUT',
  log_level: 'WARMCC_LOG_LEVEL',
  direct: 'WARMCC_DIRECT',
  depend: 'WARMCC_DEPEND',
  base_dirs: 'WARMCC_BASEDIRS',
  sloppiness: 'WARMCC_SLOPPINESS',
  journal_size: 'WARMCC_JOURNAL_SIZE',
  remote: 'WARMCC_REMOTE',
  hit_servers: 'WARMCC_HIT_SERVERS',
  compression: 'WARMCC_COMPRESSION',
  compression_level: 'WARMCC_COMPRESSION_LEVEL',
};

/** The file's settings as WARMCC_* variables; {} when the file does not exist.
 *  Throws naming the file and line on anything it cannot read. */
export function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  const settings: Record<string, string> = {};
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const key = (equals < 0 ? line : line.slice(0, equals)).trim();
    const where = `${file}:${index + 1}`;
    if (equals < 0) throw new Error(`${where}: expected 'key = value', got '${line.slice(0, 40)}'`);
    const variable = FILE_KEYS[key];
    if (!variable) throw new Error(`${where}: unknown setting '${key}' (known: ${Object.keys(FILE_KEYS).join(', ')}; others are environment variables only)`);
    const value = line.slice(equals + 1).trim();
    // `remote` may be given on several lines: they add up, in order
    settings[variable] = key === 'remote' && settings[variable] ? `${settings[variable]} ${value}` : value;
  });
  return settings;
}
