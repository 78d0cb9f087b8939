// The page's clock and its wall-clock texts ("just now", "14:03", "counting since Mar 4, 09:12").
// Times in the stats (`at`, `since`) are the extension host's: `now()` is corrected by the skew
// each update measures, so "5 s ago" and the chart's right edge agree with them. Sizes, counts
// and durations come from wrapper/contract/format.ts, shared with `warmcc -s`.

/** extension host clock minus ours */
let clockSkew = 0;

/** Called with each update's `now`. */
export function syncWithHost(hostNow: number): void {
  clockSkew = hostNow - Date.now();
}

/** The extension host's time, as far as we can tell. */
export function now(): number {
  return Date.now() + clockSkew;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" */
export function ago(at: number, current: number): string {
  const s = Math.max(0, Math.round((current - at) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** local "14:03", or "14:03:27" */
export function clockTime(at: number, withSeconds = false): string {
  const date = new Date(at);
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}${withSeconds ? `:${pad2(date.getSeconds())}` : ''}`;
}

/** "14:03" today, "Mar 4, 14:03" on another day */
export function since(at: number): string {
  const date = new Date(at);
  const today = new Date(now());
  if (date.toDateString() === today.toDateString()) return clockTime(at);
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${clockTime(at)}`;
}
