/**
 * The statistics of a bench run: medians, ranges and ratios against the baseline, and how they are printed. Pure
 * functions, no I/O, so that the test can pin them down.
 *
 * Medians, not means: five rounds on a shared machine have outliers (a GC at the wrong moment, a noisy neighbour),
 * and the median of five ignores up to two of them. The min–max range is shown beside it so the spread is visible.
 *
 * @module
 */
import type { ChildResult } from './protocol.js';
import type { ScenarioName } from './scenarios.js';

/** The median of `values`: the middle one, or the mean of the two middle ones. Throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('Expected at least one value for a median, got none');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid]!;
  return (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The smallest and largest of `values`. Throws on an empty list. */
export function range(values: readonly number[]): { readonly min: number; readonly max: number } {
  if (values.length === 0) throw new RangeError('Expected at least one value for a range, got none');
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Median and range of one metric over the rounds that succeeded. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), ...range(values), samples: values.length };
}

/**
 * `value / baseline`, or `undefined` when there is no usable baseline (it failed, or measured zero).
 *
 * For throughput the ratio reads "× as fast as the baseline" (higher is better); for memory, "× the baseline's
 * bytes" (lower is better). Both divide the contender by the baseline, so a ratio always means the same thing;
 * the report labels which way is better.
 */
export function ratio(value: number, baseline: number | undefined): number | undefined {
  if (baseline === undefined || !Number.isFinite(baseline) || baseline === 0 || !Number.isFinite(value))
    return undefined;
  return value / baseline;
}

/**
 * `items` rotated left by `round`: the contenders' order in that round. Over as many rounds as contenders, each
 * runs once in every position, so none always runs first (cold machine) or last (hot one).
 */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const k = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** How one child run ended. */
export type Outcome =
  | { readonly ok: true; readonly result: ChildResult }
  | { readonly ok: false; readonly status: 'failed' | 'timeout'; readonly message: string };

/** One child process: which scenario, contender and round, and how it ended. */
export interface RunRecord {
  readonly scenario: ScenarioName;
  readonly contender: string;
  readonly round: number;
  /** Wall time of the whole child process, start-up and warm-up included. */
  readonly wallMs: number;
  readonly outcome: Outcome;
}

/** One row of a scenario's table. */
export interface ContenderSummary {
  readonly contender: string;
  /** Operations per measured run (the same every round), if any round succeeded. */
  readonly n: number | undefined;
  readonly throughput: Summary | undefined;
  /** `spawn` only. */
  readonly retainedBytesPerTask: Summary | undefined;
  /** Median throughput ÷ the baseline's: higher is faster. */
  readonly throughputRatio: number | undefined;
  /** Median retained bytes ÷ the baseline's: lower is leaner. */
  readonly memoryRatio: number | undefined;
  /** Rounds that failed or timed out, with why. */
  readonly failures: readonly {
    readonly round: number;
    readonly status: 'failed' | 'timeout';
    readonly message: string;
  }[];
  /** Notes the contender printed (a size it had to cap), de-duplicated. */
  readonly notes: readonly string[];
}

/** Summarizes every contender of one scenario, in the order given, with ratios against `baseline`. */
export function summarizeScenario(
  records: readonly RunRecord[],
  scenario: ScenarioName,
  contenders: readonly string[],
  baseline: string,
): ContenderSummary[] {
  const partial = contenders.map((contender) => {
    const mine = records.filter((r) => r.scenario === scenario && r.contender === contender);
    const results: ChildResult[] = [];
    const failures: ContenderSummary['failures'][number][] = [];
    for (const r of mine) {
      if (r.outcome.ok) results.push(r.outcome.result);
      else failures.push({ round: r.round, status: r.outcome.status, message: r.outcome.message });
    }
    const memory = results.flatMap((r) => (r.retainedBytesPerTask === undefined ? [] : [r.retainedBytesPerTask]));
    return {
      contender,
      n: results[0]?.n,
      throughput: results.length > 0 ? summarize(results.map((r) => r.opsPerSec)) : undefined,
      retainedBytesPerTask: memory.length > 0 ? summarize(memory) : undefined,
      failures,
      notes: [...new Set(results.flatMap((r) => (r.note === undefined ? [] : [r.note])))],
    };
  });
  const base = partial.find((s) => s.contender === baseline);
  return partial.map((s) => ({
    ...s,
    throughputRatio: s.throughput === undefined ? undefined : ratio(s.throughput.median, base?.throughput?.median),
    memoryRatio:
      s.retainedBytesPerTask === undefined
        ? undefined
        : ratio(s.retainedBytesPerTask.median, base?.retainedBytesPerTask?.median),
  }));
}

/** A rate with three significant digits and a k/M/G suffix: `1.23 M`, `456 k`, `12.0`. */
export function formatRate(value: number): string {
  const units: [number, string][] = [
    [1e9, ' G'],
    [1e6, ' M'],
    [1e3, ' k'],
  ];
  // Round first, so 999,950 reads "1.00 M", not "1.00e+3 k".
  const rounded = Number(value.toPrecision(3));
  for (const [scale, suffix] of units) {
    if (Math.abs(rounded) >= scale) return `${(rounded / scale).toPrecision(3)}${suffix}`;
  }
  return rounded.toPrecision(3);
}

/** A ratio: two significant digits below 0.1, two decimals up to 10, three significant digits above. */
export function formatRatio(value: number | undefined): string {
  if (value === undefined) return '–';
  if (value > 0 && value < 0.1) return `${value.toPrecision(2)}×`;
  return `${value < 10 ? value.toFixed(2) : value.toPrecision(3)}×`;
}

/** Bytes, rounded: `403 B`, `1.2 KiB`. */
export function formatBytes(value: number): string {
  if (Math.abs(value) < 1024) return `${Math.round(value)} B`;
  return `${(value / 1024).toPrecision(3)} KiB`;
}
