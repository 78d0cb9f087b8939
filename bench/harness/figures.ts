// The figures the report gives: medians and means of timings, and how it writes seconds,
// milliseconds and sizes.

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
export const sec = (ms: number): string => (ms / 1000).toFixed(2);
export const msf = (ms: number): string => ms.toFixed(1);
export function bytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
