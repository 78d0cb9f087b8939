// Timing helpers shared by the micro-benchmarks in bench/ (not by run.ts, which times builds).

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median ms of `rounds` passes of `work`, after one untimed warm-up pass (JIT, page cache). */
export function medianMs(rounds: number, work: () => unknown): number {
  work();
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return median(times);
}
