/**
 * The statistics of a bench run: medians, ranges and ratios against the baseline, and how they are printed. Pure
 * functions, no I/O, so that the test can pin them down.
 *
 * Medians, not means: five rounds on a shared machine have outliers (a GC at the wrong moment, a noisy neighbour),
 * and the median of five ignores up to two of them. The min–max range is shown beside it so the spread is visible.
 *
 * @module
 */
import type { ChildResult, Lateness } from './protocol.js';
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

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, by the nearest-rank method: the smallest value with at
 * least `q` of the values at or below it, so `p99` of 100,000 sleeps is the 99,000th latest. Throws on an empty list.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('Expected at least one value for a quantile, got none');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected a quantile from 0 to 1, got ${q}`);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Median, p99 and max of how late each of `samples` woke, in ms, and the fraction that woke early (before their
 * deadline). Sorts `samples` in place (it can be 100,000).
 */
export function lateness(samples: Float64Array): Lateness {
  samples.sort();
  let early = 0;
  while (early < samples.length && samples[early]! < 0) early++;
  return {
    median: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: quantile(samples, 1),
    early: early / samples.length,
  };
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
  | { readonly ok: false; readonly status: FailureStatus; readonly message: string };

/**
 * Why a run has no result: it `failed` (crashed, printed no result), hit the `timeout`, or the contender is
 * `unavailable` here (fio not installed): reported, but not a failure of the suite.
 */
export type FailureStatus = 'failed' | 'timeout' | 'unavailable';

/** One child process: which scenario, contender and round, and how it ended. */
export interface RunRecord {
  readonly scenario: ScenarioName;
  readonly contender: string;
  readonly round: number;
  /** The I/O scenarios: the queue depth or batch size this run used. */
  readonly variant?: number;
  /** Wall time of the whole child process, start-up and warm-up included. */
  readonly wallMs: number;
  readonly outcome: Outcome;
}

/** One row of a scenario's table. */
export interface ContenderSummary {
  readonly contender: string;
  /**
   * Operations per measured run, if any round succeeded: the median over the rounds that did. A fixed-size run does
   * the same every round; a time-bounded one (`tcp_echo`, the HTTP scenarios) does what fits in its time.
   */
  readonly n: number | undefined;
  readonly throughput: Summary | undefined;
  /** `spawn` only. */
  readonly retainedBytesPerTask: Summary | undefined;
  /** Median throughput ÷ the baseline's: higher is faster. */
  readonly throughputRatio: number | undefined;
  /** Median retained bytes ÷ the baseline's: lower is leaner. */
  readonly memoryRatio: number | undefined;
  /** `cost` scenarios: CPU time of the measured run, in ms. */
  readonly cpuMs: Summary | undefined;
  /** `cost` scenarios: peak RSS growth over the measured run, in bytes. */
  readonly peakRssBytes: Summary | undefined;
  /** Median CPU time per operation ÷ the baseline's (per operation, so a capped run compares): lower is cheaper. */
  readonly cpuRatio: number | undefined;
  /** Median peak RSS growth per operation ÷ the baseline's: lower is leaner. */
  readonly rssRatio: number | undefined;
  /** `timers`: each lateness statistic, summarized over the rounds. */
  readonly overshootMs:
    { readonly median: Summary; readonly p99: Summary; readonly max: Summary; readonly early: Summary } | undefined;
  /** `tcp_echo`: each round-trip statistic, summarized over the rounds. */
  readonly roundTripMs: { readonly median: Summary; readonly p99: Summary; readonly max: Summary } | undefined;
  /** `tcp_echo` and the HTTP scenarios: the load client's share of one core over the measured run. */
  readonly clientCpu: Summary | undefined;
  /** The HTTP scenarios: the server's share of one core over the measured run. */
  readonly serverCpu: Summary | undefined;
  /** The HTTP scenarios: the server's CPU time per request, in ns. */
  readonly serverCpuNsPerOp: Summary | undefined;
  /** `conn_memory`: the server's resident-set growth per idle connection. */
  readonly bytesPerConnection: Summary | undefined;
  /** `conn_memory`: the server's V8 heap + external growth per idle connection. */
  readonly heapBytesPerConnection: Summary | undefined;
  /** Median bytes per connection ÷ the baseline's: lower is leaner. */
  readonly connectionRatio: number | undefined;
  /** The pool scenarios: the worker threads of the pool (the same every round), if any round succeeded. */
  readonly workers: number | undefined;
  /** `worker_heavy`: one job's duration as timed on its worker thread, µs (each round's mean over its jobs). */
  readonly jobUs: Summary | undefined;
  /** `worker_heavy`: what the pool spent per job beyond the job, µs. */
  readonly overheadUsPerJob: Summary | undefined;
  /** Rounds that failed or timed out, with why. */
  readonly failures: readonly {
    readonly round: number;
    readonly status: FailureStatus;
    readonly message: string;
  }[];
  /** Notes the contender printed (a size it had to cap), de-duplicated. */
  readonly notes: readonly string[];
}

/**
 * Summarizes every contender of one scenario (of one of its variants, if given), in the order given, with ratios
 * against `baseline`.
 */
export function summarizeScenario(
  records: readonly RunRecord[],
  scenario: ScenarioName,
  contenders: readonly string[],
  baseline: string,
  variant?: number,
): ContenderSummary[] {
  const partial = contenders.map((contender) => {
    const mine = records.filter((r) => r.scenario === scenario && r.contender === contender && r.variant === variant);
    const results: ChildResult[] = [];
    const failures: ContenderSummary['failures'][number][] = [];
    for (const r of mine) {
      if (r.outcome.ok) results.push(r.outcome.result);
      else failures.push({ round: r.round, status: r.outcome.status, message: r.outcome.message });
    }
    const overshoot = results.flatMap((r) => (r.overshootMs === undefined ? [] : [r.overshootMs]));
    const roundTrips = results.flatMap((r) => (r.roundTripMs === undefined ? [] : [r.roundTripMs]));
    return {
      contender,
      n: results.length > 0 ? median(results.map((r) => r.n)) : undefined,
      throughput: results.length > 0 ? summarize(results.map((r) => r.opsPerSec)) : undefined,
      retainedBytesPerTask: summarizeDefined(results.map((r) => r.retainedBytesPerTask)),
      cpuMs: summarizeDefined(results.map((r) => r.cpuMs)),
      peakRssBytes: summarizeDefined(results.map((r) => r.peakRssBytes)),
      overshootMs:
        overshoot.length === 0
          ? undefined
          : {
              median: summarize(overshoot.map((o) => o.median)),
              p99: summarize(overshoot.map((o) => o.p99)),
              max: summarize(overshoot.map((o) => o.max)),
              early: summarize(overshoot.map((o) => o.early)),
            },
      roundTripMs:
        roundTrips.length === 0
          ? undefined
          : {
              median: summarize(roundTrips.map((l) => l.median)),
              p99: summarize(roundTrips.map((l) => l.p99)),
              max: summarize(roundTrips.map((l) => l.max)),
            },
      clientCpu: summarizeDefined(results.map((r) => r.clientCpu)),
      serverCpu: summarizeDefined(results.map((r) => r.serverCpu)),
      serverCpuNsPerOp: summarizeDefined(results.map((r) => r.serverCpuNsPerOp)),
      bytesPerConnection: summarizeDefined(results.map((r) => r.bytesPerConnection)),
      heapBytesPerConnection: summarizeDefined(results.map((r) => r.heapBytesPerConnection)),
      workers: results[0]?.workers,
      jobUs: summarizeDefined(results.map((r) => r.jobUs)),
      overheadUsPerJob: summarizeDefined(results.map((r) => r.overheadUsPerJob)),
      failures,
      notes: [...new Set(results.flatMap((r) => (r.note === undefined ? [] : [r.note])))],
    };
  });
  const base = partial.find((s) => s.contender === baseline);
  // Per operation, so that a contender that ran a capped size still compares.
  const perOp = (summary: Summary | undefined, n: number | undefined) =>
    summary === undefined || n === undefined ? undefined : summary.median / n;
  return partial.map((s) => ({
    ...s,
    throughputRatio: s.throughput === undefined ? undefined : ratio(s.throughput.median, base?.throughput?.median),
    memoryRatio:
      s.retainedBytesPerTask === undefined
        ? undefined
        : ratio(s.retainedBytesPerTask.median, base?.retainedBytesPerTask?.median),
    cpuRatio: optionalRatio(perOp(s.cpuMs, s.n), perOp(base?.cpuMs, base?.n)),
    rssRatio: optionalRatio(perOp(s.peakRssBytes, s.n), perOp(base?.peakRssBytes, base?.n)),
    connectionRatio: optionalRatio(s.bytesPerConnection?.median, base?.bytesPerConnection?.median),
  }));
}

function summarizeDefined(values: readonly (number | undefined)[]): Summary | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length === 0 ? undefined : summarize(defined);
}

function optionalRatio(value: number | undefined, baseline: number | undefined): number | undefined {
  return value === undefined ? undefined : ratio(value, baseline);
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

/** Bytes, rounded: `403 B`, `1.2 KiB`, `35.1 MiB`. */
export function formatBytes(value: number): string {
  if (Math.abs(value) < 1024) return `${Math.round(value)} B`;
  // The next unit up once three digits would round to 1000 (`toPrecision(3)` would write `1.00e+3`).
  for (const [unit, size] of [
    ['KiB', 1024],
    ['MiB', 1024 ** 2],
  ] as const) {
    if (Math.abs(value / size) < 999.5) return `${(value / size).toPrecision(3)} ${unit}`;
  }
  return `${(value / 1024 ** 3).toPrecision(3)} GiB`;
}

/** Nanoseconds per operation from a rate in operations per second, three significant digits: `1.65 µs` above 1 µs. */
export function formatNsPerOp(opsPerSec: number): string {
  const ns = 1e9 / opsPerSec;
  if (!Number.isFinite(ns)) return '–';
  return ns >= 1000 ? `${(ns / 1000).toPrecision(3)} µs` : `${ns.toPrecision(3)} ns`;
}

/** Microseconds, three significant digits (at most one decimal from 100 µs), sign kept: `8.42 µs`, `-0.312 µs`. */
export function formatUs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} µs`;
  return `${Number(value.toPrecision(3))} µs`;
}

/** A duration given in ms, three significant digits, in µs below 1 ms: `82.4 µs`, `1.52 ms`, `1234 ms`. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  // Rounded first, so 0.9996 ms reads "1 ms", not "1000 µs".
  const us = Number((ms * 1000).toPrecision(3));
  return Math.abs(us) < 1000 ? `${us} µs` : formatMs(ms);
}

/** Milliseconds, three significant digits (at most one decimal at 100 ms and above): `0.412 ms`, `12.3 ms`, `1234 ms`. */
export function formatMs(value: number): string {
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} ms`;
  return `${Number(value.toPrecision(3))} ms`;
}
