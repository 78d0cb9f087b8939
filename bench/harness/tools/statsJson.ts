// Reading counters out of a tool's JSON statistics (warmcc, sccache): the JSON may have other
// text around it, and a counter may sit at any depth or be a record of counts to add up.

export function extractJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON in output: ${text.trim().slice(0, 200) || '(empty)'}`);
  return JSON.parse(text.slice(start, end + 1));
}

/** Depth-first search for the first numeric (or number-record) value under one of `keys`. */
export function findKey(obj: unknown, keys: string[]): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const lower = keys.map((k) => k.toLowerCase());
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (lower.includes(k.toLowerCase())) return v;
  }
  for (const v of Object.values(obj as Record<string, unknown>)) {
    const found = findKey(v, keys);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A number, or the sum of the numbers in a record (a counter split into parts). */
export function asCount(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v && typeof v === 'object') {
    let sum = 0;
    let any = false;
    for (const x of Object.values(v as Record<string, unknown>)) {
      const n = asCount(x);
      if (n !== undefined) {
        sum += n;
        any = true;
      }
    }
    return any ? sum : 0;
  }
  return undefined;
}
