// Numbers for people, shared by `warmcc -s` (cli/statsFormat.ts), the extension's messages and the
// stats panel's page (media/statsPanel/): byte sizes, counts, percentages, milliseconds, seconds
// and longer durations. The CLI asks for fixed decimals (its columns line up, sccache's layout);
// the panel for as few digits as matter. Browser-safe: the panel's bundle imports this file, so
// no Node modules and no Buffer here (media/tsconfig.json checks it without Node's types).

const BYTE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

export interface ByteFormatOptions {
  /** the panel's narrow cells: whole numbers from 100 up ("123 MiB", not "123.4 MiB") and whole
   *  bytes ("1 byte"; an average entry size is fractional) */
  short?: boolean;
}

/** "712 bytes", "1.2 GiB", "10 GiB"; short: "123 MiB", "1 byte". */
export function formatBytes(bytes: number, { short = false }: ByteFormatOptions = {}): string {
  let value = short ? Number(bytes) || 0 : bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) {
    if (!short) return `${value} bytes`;
    const whole = Math.round(value);
    return `${whole} ${whole === 1 ? 'byte' : 'bytes'}`;
  }
  const digits = short && value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '');
  return `${digits} ${BYTE_UNITS[unit]}`;
}

/** A counter as a whole number, 0 when absent (a snapshot from an older server lacks newer
 *  counters); with a noun, "1 entry", "3 entries" (plural defaults to singular + "s"). */
export function formatCount(count: number | undefined, singular?: string, plural = `${singular}s`): string {
  const whole = String(Math.round(Number(count) || 0));
  if (singular === undefined) return whole;
  return `${whole} ${count === 1 ? singular : plural}`;
}

export interface PercentFormatOptions {
  /** decimals (default 1) */
  digits?: number;
  /** a space before the sign: "50.00 %" (sccache's layout, the CLI) instead of "50.0%" */
  spaced?: boolean;
}

/** A ratio between 0 and 1 as a percentage: "50.0%"; { digits: 2, spaced: true }: "50.00 %". */
export function formatPercent(ratio: number, { digits = 1, spaced = false }: PercentFormatOptions = {}): string {
  return `${(ratio * 100).toFixed(digits)}${spaced ? ' %' : '%'}`;
}

/**
 * Milliseconds with fixed decimals when `digits` is given ("0.412 ms", for aligned columns);
 * otherwise with the digits that matter: "0.41 ms", "12.3 ms", "840 ms", and from 10 s up a
 * duration ("12 s", "3 min 20 s").
 */
export function formatMilliseconds(ms: number, digits?: number): string {
  if (digits !== undefined) return `${ms.toFixed(digits)} ms`;
  if (!(ms > 0)) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return formatDuration(ms);
}

/** Milliseconds shown as seconds with fixed decimals: formatSeconds(12345, 3) is "12.345 s". */
export function formatSeconds(ms: number, digits: number): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A span of time given in milliseconds: "840 ms", "4.2 s", "42 s", "20 min 18 s", "3 h 5 min",
 * "2 d 4 h"; compact (a tile): "0 s", "4.2 s", "20m 18s", "3h 05m", "2d 4h".
 */
export function formatDuration(ms: number, { compact = false }: { compact?: boolean } = {}): string {
  const seconds = ms / 1000;
  if (seconds < 1) return compact && !(ms >= 1) ? '0 s' : `${Math.round(ms)} ms`;
  if (seconds < 60) return formatSeconds(ms, seconds < 10 ? 1 : 0);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (compact) {
    if (minutes < 60) return `${minutes}m ${pad2(Math.floor(seconds % 60))}s`;
    if (hours < 48) return `${hours}h ${pad2(minutes % 60)}m`;
    return `${Math.floor(hours / 24)}d ${hours % 24}h`;
  }
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
