// Byte counts for people: "1.2 GiB", "10 GiB", "712 bytes" (CLI stats and the stats panel).

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}
